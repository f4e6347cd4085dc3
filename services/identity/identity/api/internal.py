"""Routes for the gateway and the other services only; Nginx never exposes them."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response, status

from identity import service
from identity.api import IdentityDep

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


@router.get("/.well-known/jwks.json")
async def jwks(ctx: IdentityDep) -> dict[str, Any]:
    return ctx.keys.jwks()
