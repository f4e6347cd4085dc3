"""The person's sessions and logout (``/api/auth/...``), the session cookies, and the
gateway's check of each request (``/internal/verify``, never exposed by Nginx)."""

from fastapi import APIRouter, Request, Response, status

from identity.context import Context, ContextDep
from identity.sessions import service
from identity.sessions.schemas import SessionPublic
from kit.auth import CurrentUser
from kit.db import SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit

router = APIRouter(prefix="/api/auth", tags=["auth"])
internal_router = APIRouter(tags=["internal"])

SESSION_COOKIE = "__Host-session"
CSRF_COOKIE = "csrf_token"


def set_session_cookies(response: Response, ctx: Context, token: str) -> None:
    max_age = ctx.settings.session_hours * 3600
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )
    # Readable by the page, which echoes it in X-CSRF-Token on unsafe requests.
    response.set_cookie(
        CSRF_COOKIE,
        ctx.csrf_token(token),
        max_age=max_age,
        path="/",
        secure=True,
        httponly=False,
        samesite="strict",
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=True, samesite="strict")


@router.get("/sessions", responses=PAGED_RESPONSES)
async def sessions(
    principal: CurrentUser,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[SessionPublic]:
    """The person's open sessions, the latest first: the device, the network, when it
    started. One page: ``X-Next-Cursor`` holds the next one's cursor."""
    page = await service.sessions_page(
        db, principal=principal, now=utcnow(), cursor=cursor, limit=limit
    )
    return page.map(
        lambda s: SessionPublic(
            id=s.id,
            device=s.device,
            network=s.network,
            started_at=s.created_at.replace(second=0, microsecond=0).isoformat(),
            expires_at=s.expires_at.replace(second=0, microsecond=0).isoformat(),
            current=s.id == principal.session_id,
        )
    ).send(response)


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_session(session_id: str, principal: CurrentUser, db: SessionDep) -> None:
    await service.end_session(db, principal=principal, session_id=session_id, now=utcnow())


@router.post("/sessions/end-others")
async def end_other_sessions(principal: CurrentUser, db: SessionDep) -> dict[str, int]:
    return {"ended": await service.end_other_sessions(db, principal=principal, now=utcnow())}


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentUser, db: SessionDep, response: Response) -> None:
    await service.logout(db, principal=principal, now=utcnow())
    clear_session_cookies(response)


#: The gateway's headers ``verify`` reads itself, documented as the parameters they are.
_VERIFY_HEADERS = {
    "X-Session-Token": "the session cookie's value",
    "X-Original-Method": "the method of the request being checked (GET by default)",
    "X-CSRF-Token": "the page's CSRF token, required on unsafe methods",
    "X-Original-Origin": "the Origin header of the request being checked",
    "X-Sec-Fetch-Site": "its Sec-Fetch-Site header",
    "X-Token-Audience": "one service whose token alone is wanted (X-Internal-Token)",
}


@internal_router.get(
    "/internal/verify",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra={
        "parameters": [
            {"name": name, "in": "header", "required": False, "schema": {"type": "string"}}
            | {"description": text}
            for name, text in _VERIFY_HEADERS.items()
        ]
    },
)
async def verify(request: Request, response: Response, ctx: ContextDep) -> None:
    """Nginx's ``auth_request``: 204 with one token per service (``X-Internal-Token-<service>``,
    each addressed to that service alone; the gateway forwards each service its own), or with
    ``X-Internal-Token`` for the one service ``X-Token-Audience`` names; or 401/403.

    The gateway's headers (``X-Session-Token``, ``X-Original-Method``, ``X-CSRF-Token``,
    ``X-Original-Origin``, ``X-Sec-Fetch-Site``, ``X-Token-Audience``) are read straight from
    the request: declared as six ``Header`` parameters, FastAPI's validation of them was
    about a tenth of this route's CPU, and it runs before every request of the platform."""
    headers = request.headers
    x_token_audience = headers.get("x-token-audience", "")
    database = request.app.state.db
    async with database.reading() as db:  # one statement, no BEGIN and COMMIT around it
        issued, seen = await service.verify_session(
            db,
            ctx,
            token=headers.get("x-session-token", ""),
            method=headers.get("x-original-method", "GET"),
            csrf=headers.get("x-csrf-token"),
            origin=headers.get("x-original-origin"),
            fetch_site=headers.get("x-sec-fetch-site"),
            now=utcnow(),
            audience=x_token_audience,
        )
    if seen is not None:  # the session's last activity, written at most once a minute
        async with database.transaction() as db:
            await service.mark_seen(db, seen)
    if x_token_audience:
        response.headers["X-Internal-Token"] = issued[x_token_audience]
    else:
        for service_name, token in issued.items():
            response.headers[f"X-Internal-Token-{service_name}"] = token
