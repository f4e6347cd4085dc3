"""Request and response bodies. Unknown fields are refused; nothing optional is collected."""

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kit.auth import Role
from kit.schemas import clean_text, text

_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def _email(value: str) -> str:
    value = clean_text(value).strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


Email = Annotated[str, AfterValidator(_email)]
Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$"),
]
Name = Annotated[str, text(100)]
Password = Annotated[
    str, StringConstraints(min_length=1, max_length=1024), AfterValidator(clean_text)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    tenant: Slug
    email: Email
    password: Password


class Reauthentication(Strict):
    """The password again, and the second factor's code when the person uses one."""

    password: Password
    code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None


class PasswordChange(Strict):
    current_password: Password
    new_password: Password


class UserCreate(Strict):
    email: Email
    first_name: Name
    last_name: Name
    roles: list[Role] = Field(default_factory=lambda: [Role.EMPLOYEE], min_length=1, max_length=5)
    password: Password | None = None


class UserPublic(BaseModel):
    id: str
    email: str
    first_name: str
    last_name: str
    tenant: str
    roles: list[str]
    #: Art. 18: the person's data is frozen; only the id is shown.
    restricted: bool = False
    #: Two-factor login is on.
    two_factor: bool = False


class TenantPublic(BaseModel):
    slug: str
    name: str


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


class ResetRequest(Strict):
    tenant: Slug
    email: Email


class ResetConfirm(Strict):
    token: Annotated[str, StringConstraints(min_length=16, max_length=128)]
    password: Password


class SessionPublic(BaseModel):
    id: str
    #: "Firefox on Linux".
    device: str | None
    #: The network of the login (a /24 or /48), never the full address.
    network: str | None
    #: When it started, to the minute.
    started_at: str
    expires_at: str
    current: bool


class Lookup(BaseModel):
    email: Email


class Found(BaseModel):
    id: str


class Contact(BaseModel):
    email: str


class TokenExchange(BaseModel):
    """RFC 8693's request, as JSON: the token a service received, and the service it wants to
    call with it."""

    grant_type: str = Field(max_length=100)
    subject_token: str = Field(max_length=8000)
    subject_token_type: str = Field(max_length=100)
    audience: str = Field(max_length=40)


class ExchangedToken(BaseModel):
    access_token: str
    issued_token_type: str = "urn:ietf:params:oauth:token-type:jwt"  # noqa: S105 (a type name)
    token_type: str = "N_A"  # noqa: S105 (RFC 8693: not an OAuth access token type)
    expires_in: int


class RemovalAccepted(BaseModel):
    """An account removed by an admin: stopped now, erased everywhere by the privacy service."""

    status: str = "erasure requested"
