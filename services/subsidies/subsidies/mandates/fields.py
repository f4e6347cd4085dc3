"""Bank details: validated (IBAN checksum, BIC format), encrypted per field with AES-256-GCM
bound to the row and the field (a ciphertext copied to another row or field does not open),
shown masked. Never logged, never in an error message.

Key rotation: set the new ``FIELD_KEY``/``FIELD_KEY_ID`` and move the old one to
``RETIRED_FIELD_KEYS``; both are read, the worker re-encrypts every row under the new key in
small batches (``jobs.key_rotation``), and the old key can go once none is left. No downtime.

The cipher is built once at startup from the settings (``context.build_context``, which the app
and the worker run) and bound to ``bank_cipher``, where the data map's export reads it.
"""

import base64
import hashlib
import re
import string
from typing import Any

from kit.crypto import AesGcm
from subsidies.config import Settings

ENCRYPTED = ("holder", "iban", "bic")
#: Lengths of the IBANs of the SEPA countries most used here; others: 15 to 34.
IBAN_LENGTHS = {
    "FR": 27, "DE": 22, "BE": 16, "ES": 24, "IT": 27, "LU": 20, "NL": 18, "PT": 25,
    "MC": 27, "CH": 21, "AT": 20, "IE": 22, "GB": 22,
}  # fmt: skip
BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def _key(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def field_cipher(settings: Settings) -> AesGcm:
    keys = {
        kid: _key(secret.get_secret_value()) for kid, secret in settings.retired_field_keys.items()
    }
    keys[settings.field_key_id] = _key(settings.field_key.get_secret_value())
    return AesGcm(keys, settings.field_key_id)


def context(table: str, row_id: str, field: str) -> bytes:
    return f"subsidies|{table}|{row_id}|{field}".encode()


def encrypt(cipher: AesGcm, table: str, row_id: str, field: str, value: str) -> str:
    """``<key id>:<base64 of nonce and ciphertext>``: text any database stores."""
    sealed = cipher.encrypt(value.encode(), context=context(table, row_id, field))
    kid, _, raw = sealed.partition(b":")
    return f"{kid.decode()}:{base64.b64encode(raw).decode()}"


def decrypt(cipher: AesGcm, table: str, row_id: str, field: str, token: str) -> str:
    kid, _, text = token.partition(":")
    sealed = kid.encode() + b":" + base64.b64decode(text)
    return cipher.decrypt(sealed, context=context(table, row_id, field)).decode()


def key_id(token: str) -> str:
    return token.partition(":")[0]


class BoundCipher:
    """The process's field cipher, bound once at startup; unbound, any use raises."""

    def __init__(self) -> None:
        self._cipher: AesGcm | None = None

    def bind(self, cipher: AesGcm) -> None:
        self._cipher = cipher

    def get(self) -> AesGcm:
        if self._cipher is None:
            raise RuntimeError(
                "the subsidies field cipher is not bound: build the context at startup "
                "(subsidies.context.build_context)"
            )
        return self._cipher


bank_cipher = BoundCipher()


def reveal(cipher: AesGcm, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A mandate as its holder reads it in their export: the fields decrypted."""
    if table != "mandates":
        return row
    return row | {
        field: decrypt(cipher, table, str(row["id"]), field, row[field])
        for field in ENCRYPTED
        if row.get(field)
    }


def reveal_bound(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """``reveal`` with the bound cipher: how the data map's export shows a mandate."""
    return reveal(bank_cipher.get(), table, row)


# -- validation and display --------------------------------------------------------------------


def normalise_iban(value: str) -> str:
    """The IBAN without spaces, upper case; ``ValueError`` (no value quoted) if invalid."""
    iban = "".join(value.split()).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        raise ValueError("not an IBAN")
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        raise ValueError("wrong IBAN length for its country")
    digits = "".join(
        str(string.ascii_uppercase.index(c) + 10) if c.isalpha() else c for c in iban[4:] + iban[:4]
    )
    if int(digits) % 97 != 1:
        raise ValueError("IBAN checksum does not match")
    return iban


def normalise_bic(value: str) -> str:
    bic = "".join(value.split()).upper()
    if not BIC.fullmatch(bic):
        raise ValueError("not a BIC (8 or 11 letters and digits)")
    return bic


def mask_iban(iban: str) -> str:
    """``FR76 **** **** 1234``: the country and check digits, then the last four."""
    return f"{iban[:4]} **** **** {iban[-4:]}"


def mask_bic(bic: str) -> str:
    return bic[:4] + "*" * (len(bic) - 4)


def mask_holder(holder: str) -> str:
    return " ".join(part[0] + "." for part in holder.split() if part)
