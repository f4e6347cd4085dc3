"""Small, boring cryptography built on ``cryptography``: sealing and field encryption.

``seal`` encrypts for the holder of an X25519 key pair (ephemeral ECDH, HKDF-SHA256,
AES-256-GCM), so a service can hand personal data to the privacy service through the outbox
and the broker without either ever holding it in clear. ``AesGcm`` encrypts data at rest with
a key id prefix for rotation and associated data binding a value to where it belongs.
"""

import base64
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SEAL_INFO = b"platform seal v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def public_key_text(private: X25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return _b64(raw)


def _derive(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_SEAL_INFO)
    return hkdf.derive(shared)


def seal(recipient_public: str, plaintext: bytes, *, context: bytes = b"") -> str:
    """Encrypt ``plaintext`` so that only the holder of the recipient's private key reads it."""
    recipient = _unb64(recipient_public)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    key = _derive(
        ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient)),
        ephemeral_public,
        recipient,
    )
    nonce = os.urandom(12)
    return _b64(ephemeral_public + nonce + AESGCM(key).encrypt(nonce, plaintext, context))


def open_sealed(private: X25519PrivateKey, sealed: str, *, context: bytes = b"") -> bytes:
    """Decrypt what ``seal`` produced; raises ``cryptography.exceptions.InvalidTag`` if altered."""
    blob = _unb64(sealed)
    ephemeral_public, nonce, ciphertext = blob[:32], blob[32:44], blob[44:]
    recipient = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    return AESGCM(_derive(shared, ephemeral_public, recipient)).decrypt(nonce, ciphertext, context)


class AesGcm:
    """AES-256-GCM with a key id prefix: ``<kid>:<nonce+ciphertext, base64>``."""

    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys or any(len(k) != 32 for k in keys.values()):
            raise ValueError("AES-256-GCM needs 32-byte keys and a current key id among them")
        self.keys = keys
        self.current = current

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, context)
        return self.current.encode() + b":" + sealed

    def decrypt(self, token: bytes, *, context: bytes) -> bytes:
        kid, _, sealed = token.partition(b":")
        key = self.keys[kid.decode()]
        return AESGCM(key).decrypt(sealed[:12], sealed[12:], context)
