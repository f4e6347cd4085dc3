"""Bodies of two-factor login's routes."""

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from kit.schemas import Strict


class MfaCode(Strict):
    #: Six digits from the authenticator app, or a recovery code (``abcd-efgh-...``, 24
    #: characters in groups of four).
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=40)]


class Enrolment(BaseModel):
    """Shown once: the secret, its ``otpauth://`` URI and the QR code (an SVG data URI)."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class RecoveryCodes(BaseModel):
    """Shown once; each replaces a code once."""

    recovery_codes: list[str]
