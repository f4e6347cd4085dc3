"""Ed25519 keys that sign the internal tokens, and their rotation.

Each key is a PKCS#8 PEM file ``<kid>.pem`` (mode 0600) in the keys folder. The newest signs;
all present keys are published in the JWKS, so services accept tokens of the previous key while
they live (at most ``internal_token_seconds``). Sessions are opaque tokens held in the database,
so rotating keys never logs anyone out.

    python -m identity.keys rotate        # add a new signing key (``identity/keys.py``)
    python -m identity.keys prune         # drop all but the two newest keys
"""

import base64
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ALGORITHM = "EdDSA"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _public_jwk(kid: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(public), "kid": kid} | {
        "alg": ALGORITHM,
        "use": "sig",
    }


class SigningKeys:
    def __init__(self, folder: Path, *, reload_seconds: float = 2.0) -> None:
        self.folder = folder
        self.reload_seconds = reload_seconds
        self._keys: list[tuple[str, Ed25519PrivateKey]] = []
        self._jwks: dict[str, Any] = {"keys": []}
        self._loaded_at = 0.0
        #: ``sign_reused``'s tokens: (kid, claims) -> (reusable until, monotonic; token).
        self._issued: dict[tuple[str, str], tuple[float, str]] = {}

    def ensure(self) -> None:
        """Create a first key when there is none (first run)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not any(self.folder.glob("*.pem")):
            self.rotate()

    def rotate(self) -> str:
        kid = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:8]
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.folder / f".{kid}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        tmp.rename(self.folder / f"{kid}.pem")
        self._loaded_at = 0.0
        return kid

    def prune(self, keep: int = 2) -> list[str]:
        files = sorted(self.folder.glob("*.pem"))
        removed = files[:-keep] if len(files) > keep else []
        for path in removed:
            path.unlink()
        self._loaded_at = 0.0
        return [p.stem for p in removed]

    def _load(self) -> list[tuple[str, Ed25519PrivateKey]]:
        if time.monotonic() - self._loaded_at > self.reload_seconds or not self._keys:
            keys = []
            for path in sorted(self.folder.glob("*.pem")):
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
                if isinstance(key, Ed25519PrivateKey):
                    keys.append((path.stem, key))
            if not keys:
                raise RuntimeError(f"no signing key in {self.folder}")
            if [k for k, _ in keys] != [k for k, _ in self._keys]:
                self._jwks = {"keys": [_public_jwk(kid, key) for kid, key in keys]}
            self._keys, self._loaded_at = keys, time.monotonic()
        return self._keys

    def jwks(self) -> dict[str, Any]:
        """The public keys; the same document object until the set of keys changes."""
        self._load()
        return self._jwks

    def sign(self, claims: dict[str, Any], *, lifetime: timedelta) -> str:
        kid, key = self._load()[-1]
        return self._sign(kid, key, claims, lifetime)

    @staticmethod
    def _sign(kid: str, key: Ed25519PrivateKey, claims: dict[str, Any], lifetime: timedelta) -> str:
        now = datetime.now(UTC)
        payload = claims | {"iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex}
        return jwt.encode(payload, key, algorithm=ALGORITHM, headers={"kid": kid})

    def sign_reused(self, claims: dict[str, Any], *, lifetime: timedelta, reuse: timedelta) -> str:
        """A token of ``claims`` living ``lifetime``, the same one for ``reuse`` after it was
        signed (then a new one): the gateway's check of a session, made for each request that
        is not served from its 2-second cache, signed five tokens every time, and each service
        verified each new token's signature again. The session is still checked on every call
        (revocation is unchanged); a token handed out still lives at least ``lifetime -
        reuse`` and never longer than ``lifetime`` after it was signed; the same claims under
        the same newest key only (a change of roles or a new key is a new token)."""
        kid, key = self._load()[-1]
        cache_key = (kid, json.dumps(claims, sort_keys=True, default=str))
        now = time.monotonic()
        found = self._issued.get(cache_key)
        if found is not None and found[0] > now:
            return found[1]
        token = self._sign(kid, key, claims, lifetime)
        if len(self._issued) >= 20_000:
            self._issued = {k: v for k, v in self._issued.items() if v[0] > now}
            if len(self._issued) >= 20_000:
                self._issued.clear()
        self._issued[cache_key] = (now + reuse.total_seconds(), token)
        return token
