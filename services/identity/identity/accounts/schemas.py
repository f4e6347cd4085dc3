"""Request and response bodies of the accounts, and the field types every feature's bodies
share. Unknown fields are refused; nothing optional is collected."""

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from kit.auth import Role
from kit.schemas import Strict, clean_text, text

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


#: The employer's number for the person (matricule): what a first sign-in through the
#: tenant's directory is matched by (``identity.oidc``), as the import sets it.
EmployeeNumber = Annotated[str, text(64)]


class UserCreate(Strict):
    email: Email
    first_name: Name
    last_name: Name
    roles: list[Role] = Field(default_factory=lambda: [Role.EMPLOYEE], min_length=1, max_length=5)
    password: Password | None = None
    employee_number: EmployeeNumber | None = None


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
    #: The employer's number (matricule), when the admin or an import gave one.
    employee_number: str | None = None


class RemovalAccepted(BaseModel):
    """An account removed by an admin: stopped now, erased everywhere by the privacy service."""

    status: str = "erasure requested"


class Lookup(BaseModel):
    email: Email


class Found(BaseModel):
    id: str


class Contact(BaseModel):
    email: str


class Employees(BaseModel):
    """One page of the ids of the caller's tenant's active employees."""

    ids: list[str]
    #: Ask again with ``after`` set to this for the next page; None on the last.
    next: str | None
