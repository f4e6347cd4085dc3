"""Two-factor login's secrets and codes: TOTP (RFC 6238) with recovery codes.

Staff roles (tenant admin, support agent, DPO, platform admin) must use it; employees may. The
secret is stored encrypted (AES-256-GCM bound to the user's row), shown once at enrolment (a
new one each time enrolment starts again), and a code is accepted once: the time step of the
last code used is kept (RFC 6238, 5.2). Ten recovery codes, shown once, stored as hashes,
each replaces a code once.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

from identity.config import Settings
from kit.auth import Role
from kit.crypto import AesGcm

STAFF = frozenset({Role.TENANT_ADMIN, Role.SUPPORT_AGENT, Role.DPO, Role.PLATFORM_ADMIN})
STEP_SECONDS = 30
RECOVERY_CODES = 10


def staff(roles: list[str]) -> bool:
    return not STAFF.isdisjoint(roles)


class Totp:
    def __init__(self, settings: Settings) -> None:
        secret = settings.secret_key.get_secret_value().encode()
        key = hmac.new(secret, b"totp-secret-encryption", hashlib.sha256).digest()
        self.cipher = AesGcm({"t1": key}, "t1")
        self.issuer = settings.totp_issuer

    # -- the secret ------------------------------------------------------------------------

    @staticmethod
    def new_secret() -> str:
        return pyotp.random_base32(32)

    def seal(self, user_id: str, secret: str) -> str:
        sealed = self.cipher.encrypt(secret.encode(), context=f"users|{user_id}|totp".encode())
        kid, _, raw = sealed.partition(b":")
        return f"{kid.decode()}:{base64.b64encode(raw).decode()}"

    def open(self, user_id: str, token: str) -> str:
        kid, _, text = token.partition(":")
        sealed = kid.encode() + b":" + base64.b64decode(text)
        return self.cipher.decrypt(sealed, context=f"users|{user_id}|totp".encode()).decode()

    def enrolment(self, secret: str, account: str) -> dict[str, str]:
        """What an authenticator app needs: the secret, its ``otpauth://`` URI, a QR code."""
        uri = pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=self.issuer)
        qr = segno.make(uri, error="m").svg_data_uri(scale=4)
        return {"secret": secret, "otpauth_uri": uri, "qr_svg": qr}

    # -- codes -------------------------------------------------------------------------------

    @staticmethod
    def accept(secret: str, code: str, *, last_step: int | None, now: datetime) -> int | None:
        """The time step ``code`` belongs to (this one or one either side, for clock drift),
        if it is right and newer than the last code used; None otherwise."""
        code = code.strip().replace(" ", "")
        if len(code) != 6 or not code.isdigit():
            return None
        current = int(now.timestamp()) // STEP_SECONDS
        totp = pyotp.TOTP(secret)
        for step in (current - 1, current, current + 1):
            if step > (last_step if last_step is not None else -1) and hmac.compare_digest(
                totp.at(step * STEP_SECONDS), code
            ):
                return step
        return None


#: 32 letters and digits easy to tell apart: 5 bits each.
RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
#: 24 characters: 120 bits, beyond the 112 of NIST SP 800-63B for a look-up secret stored with
#: a fast hash (a guess of the hash must cost as much as a guess of a 112-bit key).
RECOVERY_LENGTH = 24


def new_recovery_codes() -> list[str]:
    """``abcd-efgh-ijkm-npqr-stuv-wxyz``: 120 bits each, in groups of four to type."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    return codes


def recovery_hash(code: str) -> str:
    """SHA-256 of the code without its dashes: with 120 random bits, a fast hash is enough."""
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    raw = code.strip().lower().replace("-", "")
    return len(raw) == RECOVERY_LENGTH and all(c in RECOVERY_ALPHABET for c in raw)
