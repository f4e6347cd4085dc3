"""Routes for the gateway and the other services only; Nginx never exposes them."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response, status
from pydantic import BaseModel

from identity import repository, service
from identity.api import IdentityDep
from identity.schemas import Email
from kit.auth import DpoUser
from kit.db import SessionDep
from kit.errors import NotFound
from kit.privacy.audit import Auditor

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
) -> None:
    """Nginx's ``auth_request``: 204 with ``X-Internal-Token``, or 401/403."""
    async with request.app.state.db.sessionmaker() as db:
        token = await service.verify_session(
            db,
            ctx,
            token=x_session_token,
            method=x_original_method,
            csrf=x_csrf_token,
            origin=x_original_origin,
            fetch_site=x_sec_fetch_site,
            now=service.utcnow(),
        )
    response.headers["X-Internal-Token"] = token


class Lookup(BaseModel):
    email: Email


class Found(BaseModel):
    id: str


@router.post("/internal/users/lookup")
async def lookup(body: Lookup, dpo: DpoUser, db: SessionDep, audit: Auditor) -> Found:
    """For the privacy service, on behalf of a DPO filing a request received by email or post:
    the account id of an email in the DPO's tenant. Called with the DPO's own internal token."""
    user = await repository.user_by_email(db, tenant_id=dpo.tenant_id, email=body.email)
    if user is None:
        raise NotFound("no account with this email in your tenant")
    await audit.read([user.id], "account id")
    return Found(id=user.id)


@router.get("/.well-known/jwks.json")
async def jwks(ctx: IdentityDep) -> dict[str, Any]:
    return ctx.keys.jwks()
