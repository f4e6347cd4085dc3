"""Bodies of the sign-in routes."""

from typing import Annotated

from pydantic import StringConstraints

from identity.accounts.schemas import Email, Password, Slug
from kit.schemas import Strict


class LoginRequest(Strict):
    tenant: Slug
    email: Email
    password: Password


class Reauthentication(Strict):
    """The password again, and the second factor's code when the person uses one."""

    password: Password
    code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
