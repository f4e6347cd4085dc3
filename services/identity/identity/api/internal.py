"""Routes for the gateway and the other services only; Nginx never exposes them."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status

from identity import repository, service, tokens
from identity.api import IdentityDep
from identity.schemas import Contact, ExchangedToken, Found, Lookup, TokenExchange
from kit.auth import Principal, Role, service_caller
from kit.db import SessionDep
from kit.errors import NotFound
from kit.privacy.audit import Audit

router = APIRouter(tags=["internal"])


@router.get("/internal/verify", status_code=status.HTTP_204_NO_CONTENT)
async def verify(
    request: Request,
    response: Response,
    ctx: IdentityDep,
    x_session_token: Annotated[str, Header()] = "",
    x_original_method: Annotated[str, Header()] = "GET",
    x_csrf_token: Annotated[str | None, Header()] = None,
    x_original_origin: Annotated[str | None, Header()] = None,
    x_sec_fetch_site: Annotated[str | None, Header()] = None,
    x_token_audience: Annotated[str, Header()] = "",
) -> None:
    """Nginx's ``auth_request``: 204 with one token per service (``X-Internal-Token-<service>``,
    each addressed to that service alone; the gateway forwards each service its own), or with
    ``X-Internal-Token`` for the one service ``X-Token-Audience`` names; or 401/403."""
    async with request.app.state.db.sessionmaker() as db:
        issued = await service.verify_session(
            db,
            ctx,
            token=x_session_token,
            method=x_original_method,
            csrf=x_csrf_token,
            origin=x_original_origin,
            fetch_site=x_sec_fetch_site,
            now=service.utcnow(),
            audience=x_token_audience,
        )
        await db.commit()  # the session's last activity, written at most once a minute
    if x_token_audience:
        response.headers["X-Internal-Token"] = issued[x_token_audience]
    else:
        for service_name, token in issued.items():
            response.headers[f"X-Internal-Token-{service_name}"] = token


@router.post("/internal/token")
async def token_exchange(body: TokenExchange, ctx: IdentityDep) -> ExchangedToken:
    """RFC 8693 token exchange: a service trades the token it received for a person for one
    addressed to another service, naming itself as the actor (``identity.tokens``)."""
    tokens.check_request(body.grant_type, body.subject_token_type)
    token, lifetime = tokens.exchange(
        ctx.keys, ctx.settings, subject_token=body.subject_token, audience=body.audience
    )
    return ExchangedToken(access_token=token, expires_in=lifetime)


@router.post("/internal/users/lookup")
async def lookup(
    body: Lookup,
    dpo: Annotated[Principal, Depends(service_caller("privacy", roles=[Role.DPO]))],
    db: SessionDep,
    request: Request,
) -> Found:
    """For the privacy service, on behalf of a DPO filing a request received by email or post:
    the account id of an email in the DPO's tenant. Called by privacy for the DPO only."""
    user = await repository.user_by_email(db, tenant_id=dpo.tenant_id, email=body.email)
    if user is None:
        raise NotFound("no account with this email in your tenant")
    audit = Audit(db, request.app.state.events, dpo, "POST /internal/users/lookup")
    await audit.read([user.id], "account id")
    return Found(id=user.id)


@router.get("/internal/users/contact")
async def contact(
    buyer: Annotated[Principal, Depends(service_caller("orders"))], db: SessionDep
) -> Contact:
    """For the orders service, on behalf of a buyer: their own email, for the order's mails."""
    user = await repository.user_by_id(db, tenant_id=buyer.tenant_id, user_id=buyer.user_id)
    if user is None:
        raise NotFound("no such account")
    return Contact(email=user.email)


@router.get("/.well-known/jwks.json")
async def jwks(ctx: IdentityDep) -> dict[str, Any]:
    return ctx.keys.jwks()
