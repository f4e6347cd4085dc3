"""The X25519 keys that services seal their exports to, and their rotation.

Every service seals the data it exports for a data-subject request to the public key in its
own configuration (``PRIVACY_SEAL_KEY``), never to a key a message names: a stolen broker
account cannot have anyone's data sealed to itself. The privacy service holds the private
keys: the current one (``SEAL_PRIVATE_KEY``, or ``seal.pem`` in its keys folder when unset, as
in a local run) and the retired ones (``retired-*.pem``, or ``RETIRED_SEAL_KEYS``), which it
keeps reading until no answer sealed to them can arrive any more.

    python -m privacy.keys public      # the public key to give every service (PRIVACY_SEAL_KEY)
    python -m privacy.keys new         # a key pair for .env: SEAL_PRIVATE_KEY, PRIVACY_SEAL_KEY
    python -m privacy.keys rotate      # keys folder: retire seal.pem, make a new one
"""

import argparse
import base64
import os
import time
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kit.crypto import open_sealed, public_key_text
from privacy.config import Settings, get_settings


def private_key_text(key: X25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.urlsafe_b64encode(raw).decode()


def _from_text(text: str) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(text.encode()))


def _write_new(path: Path) -> None:
    pem = X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    except FileExistsError:
        pass  # another process made it first


def _load_pem(path: Path) -> X25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, X25519PrivateKey)
    return key


def file_key(folder: Path) -> X25519PrivateKey:
    """``seal.pem`` of ``folder``, made (0600) on first use: a local run's key."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "seal.pem"
    if not path.exists():
        _write_new(path)
    return _load_pem(path)


class SealKeys:
    """The current private key and the retired ones that still open late answers."""

    def __init__(self, current: X25519PrivateKey, retired: Sequence[X25519PrivateKey]) -> None:
        self.current = current
        self.retired = list(retired)

    @classmethod
    def load(cls, settings: Settings) -> "SealKeys":
        assert settings.keys_dir is not None
        retired = [_from_text(k.get_secret_value()) for k in settings.retired_seal_keys]
        if settings.seal_private_key is not None:
            current = _from_text(settings.seal_private_key.get_secret_value())
        else:
            current = file_key(settings.keys_dir)
            retired += [_load_pem(p) for p in sorted(settings.keys_dir.glob("retired-*.pem"))]
        return cls(current, retired)

    @property
    def public(self) -> str:
        return public_key_text(self.current)

    def open(self, sealed: str, *, context: bytes) -> bytes:
        """Open with the current key, else with a retired one; InvalidTag if none fits."""
        for key in (self.current, *self.retired):
            try:
                return open_sealed(key, sealed, context=context)
            except InvalidTag:
                continue
        raise InvalidTag


def rotate(folder: Path) -> str:
    """Retire ``seal.pem`` (kept as ``retired-<time>.pem``) and make a new one; returns the new
    public key, for every service's ``PRIVACY_SEAL_KEY``."""
    file_key(folder)
    (folder / "seal.pem").rename(folder / f"retired-{int(time.time())}.pem")
    return public_key_text(file_key(folder))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m privacy.keys")
    parser.add_argument("action", choices=["public", "new", "rotate"])
    action = parser.parse_args().action
    settings = get_settings()
    assert settings.keys_dir is not None
    if action == "public":
        print(SealKeys.load(settings).public)
    elif action == "new":
        key = X25519PrivateKey.generate()
        print(f"SEAL_PRIVATE_KEY={private_key_text(key)}")
        print(f"PRIVACY_SEAL_KEY={public_key_text(key)}")
    else:
        print(rotate(settings.keys_dir))


if __name__ == "__main__":
    main()
