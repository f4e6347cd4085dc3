"""Bodies of the password routes."""

from typing import Annotated

from pydantic import StringConstraints

from identity.accounts.schemas import Email, Password, Slug
from kit.schemas import Strict


class PasswordChange(Strict):
    current_password: Password
    new_password: Password


class ResetRequest(Strict):
    tenant: Slug
    email: Email


class ResetConfirm(Strict):
    token: Annotated[str, StringConstraints(min_length=16, max_length=128)]
    password: Password
