"""Bodies of the token exchange (RFC 8693, as JSON)."""

from pydantic import BaseModel, Field


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
