"""Bodies of the directory sign-in's routes. The client secret goes in, never out."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from kit.schemas import Strict

Scopes = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=255,
        pattern=r"^([A-Za-z0-9_.:/-]+( [A-Za-z0-9_.:/-]+)*)?$",
    ),
]


class ProviderSettings(Strict):
    """A tenant's OpenID provider. ``client_secret`` may be left out to keep the stored one;
    ``match_claim`` is the ID token claim compared with the accounts' employee number at a
    first sign-in (``sub``, or a claim such as ``employee_number``); ``extra_scopes`` are asked
    beyond ``openid`` when the provider puts that claim behind a scope."""

    issuer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=500)]
    client_id: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$"
        ),
    ]
    client_secret: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    match_claim: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")
    ] = "sub"
    extra_scopes: Scopes = ""


class ProviderPublic(BaseModel):
    """What the tenant admin sees of the provider: everything but the secret."""

    issuer: str
    client_id: str
    match_claim: str
    extra_scopes: str
    #: The address to register at the provider as the client's redirect URI.
    redirect_uri: str
    updated_at: datetime


class SignInOptions(BaseModel):
    """Public: how the people of a tenant may sign in (no setting, no secret)."""

    password: bool = True
    directory: bool
