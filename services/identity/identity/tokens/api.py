"""The token exchange and the public keys: for the other services only (the JWKS is public
anyway); Nginx never exposes the exchange."""

from typing import Any

from fastapi import APIRouter

from identity.context import ContextDep
from identity.tokens import service
from identity.tokens.schemas import ExchangedToken, TokenExchange

router = APIRouter(tags=["internal"])


@router.post("/internal/token")
async def token_exchange(body: TokenExchange, ctx: ContextDep) -> ExchangedToken:
    """RFC 8693 token exchange: a service trades the token it received for a person for one
    addressed to another service, naming itself as the actor (``identity.tokens``)."""
    service.check_request(body.grant_type, body.subject_token_type)
    token, lifetime = service.exchange(
        ctx.keys, ctx.settings, subject_token=body.subject_token, audience=body.audience
    )
    return ExchangedToken(access_token=token, expires_in=lifetime)


@router.get("/.well-known/jwks.json")
async def jwks(ctx: ContextDep) -> dict[str, Any]:
    return ctx.keys.jwks()
