"""Sealing and field encryption: only the right key opens, and only in the right context."""

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kit.crypto import AesGcm, open_sealed, public_key_text, seal


def test_sealed_data_opens_only_with_the_recipient_key() -> None:
    recipient = X25519PrivateKey.generate()
    sealed = seal(public_key_text(recipient), b"alice's export", context=b"request-1")
    assert b"alice" not in sealed.encode()
    assert open_sealed(recipient, sealed, context=b"request-1") == b"alice's export"
    with pytest.raises(InvalidTag):
        open_sealed(X25519PrivateKey.generate(), sealed, context=b"request-1")
    with pytest.raises(InvalidTag):
        open_sealed(recipient, sealed, context=b"request-2")


def test_aes_gcm_binds_the_context_and_rotates() -> None:
    old = AesGcm({"k1": b"1" * 32}, "k1")
    token = old.encrypt(b"FR76 3000 6000 0112 3456 7890 189", context=b"mandates:42:iban")
    rotated = AesGcm({"k1": b"1" * 32, "k2": b"2" * 32}, "k2")
    assert rotated.decrypt(token, context=b"mandates:42:iban").startswith(b"FR76")
    assert rotated.encrypt(b"x", context=b"c").startswith(b"k2:")
    with pytest.raises(InvalidTag):
        rotated.decrypt(token, context=b"mandates:43:iban")
    with pytest.raises(ValueError):
        AesGcm({"k1": b"short"}, "k1")
