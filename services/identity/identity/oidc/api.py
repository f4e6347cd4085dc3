"""Sign-in with the employer's directory: the tenant admin's settings
(``/api/auth/directory``), the public question "does this tenant have one?"
(``/api/auth/tenants/{slug}/sign-in``), and the sign-in itself (``/api/auth/oidc/...``: a
top-level navigation to the provider and back, answered with redirects)."""

from urllib.parse import quote

from fastapi import APIRouter, Request, Response, status

from identity.context import Context, ContextDep
from identity.oidc import service
from identity.oidc.models import OidcProvider
from identity.oidc.schemas import ProviderPublic, ProviderSettings, SignInOptions
from identity.sessions.api import set_session_cookies
from identity.signin.api import MFA_COOKIE, client_of
from kit.auth import TenantAdmin, require_recent_sign_in
from kit.db import SessionDep, utcnow

router = APIRouter(prefix="/api/auth", tags=["auth"])

#: Binds a sign-in to the browser that started it. SameSite=Lax: the provider's redirect back
#: is a top-level navigation from another site. The gateway hands it to the callback only, as
#: the ``X-Oidc-Token`` header (no service ever sees a cookie).
OIDC_COOKIE = "__Host-oidc"
OIDC_HEADER = "x-oidc-token"


#: A redirect (top-level navigation), no body: what the OpenAPI document says of both routes.
REDIRECT = {
    303: {
        "description": "Redirect (no body): the Location header says where.",
        "content": {},
        "headers": {"Location": {"schema": {"type": "string"}}},
    }
}


def _public(ctx: Context, found: OidcProvider) -> ProviderPublic:
    return ProviderPublic(
        issuer=found.issuer,
        client_id=found.client_id,
        match_claim=found.match_claim,
        extra_scopes=found.extra_scopes,
        redirect_uri=service.redirect_uri(ctx),
        updated_at=found.updated_at,
    )


@router.get("/directory")
async def provider(principal: TenantAdmin, db: SessionDep, ctx: ContextDep) -> ProviderPublic:
    """The tenant's OpenID provider (never its client secret); 404 when it has none."""
    return _public(ctx, await service.provider_of(db, principal=principal))


@router.put("/directory")
async def configure(
    body: ProviderSettings, principal: TenantAdmin, db: SessionDep, ctx: ContextDep
) -> ProviderPublic:
    """Set the tenant's OpenID provider: its discovery document is read first (422 when it
    cannot be, or names another issuer). The secret is stored encrypted; left out, the stored
    one is kept. A sensitive action: it needs a recent sign-in (403 ``reauthenticate``), and
    the tenant's other admins are told by mail."""
    require_recent_sign_in(principal)
    found = await service.configure(db, ctx, principal=principal, data=body, now=utcnow())
    return _public(ctx, found)


@router.delete("/directory", status_code=status.HTTP_204_NO_CONTENT)
async def remove(principal: TenantAdmin, db: SessionDep) -> Response:
    """No more sign-in through the directory; the accounts' links go too. A sensitive
    action, like setting it."""
    require_recent_sign_in(principal)
    await service.remove(db, principal=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tenants/{slug}/sign-in")
async def sign_in_options(slug: str, db: SessionDep) -> SignInOptions:
    """Public: whether the tenant's login page offers "Sign in with your company account"."""
    return SignInOptions(directory=await service.has_directory(db, slug))


@router.get(
    "/oidc/{tenant}/start",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=Response,
    responses=REDIRECT,  # type: ignore[arg-type]
)
async def start(tenant: str, request: Request, ctx: ContextDep) -> Response:
    """303 to the provider's authorization endpoint (code flow, PKCE S256, state, nonce),
    with the cookie that binds the sign-in to this browser. 404 for a tenant without one."""
    started = await service.start(request.app.state.db, ctx, tenant=tenant, now=utcnow())
    response = Response(status_code=status.HTTP_303_SEE_OTHER)
    response.headers["Location"] = started.location
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        OIDC_COOKIE,
        started.browser_token,
        max_age=ctx.settings.oidc_login_minutes * 60,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(
    "/oidc/callback",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=Response,
    responses=REDIRECT,  # type: ignore[arg-type]
)
async def callback(request: Request, ctx: ContextDep) -> Response:
    """The provider sends the browser back here. 303 to the portal with the platform's
    session cookies, or to the login page with ``oidc_error=<why>`` and no session."""
    query = request.query_params
    # Short transactions of its own: the pending sign-in is spent (and committed) before the
    # provider is called, even when the answer is a refusal; none is open during the calls.
    outcome = await service.finish(
        request.app.state.db,
        ctx,
        state=query.get("state"),
        code=query.get("code"),
        error=query.get("error"),
        issuer=query.get("iss"),
        browser_token=request.headers.get(OIDC_HEADER),
        now=utcnow(),
        client=client_of(request),
    )
    response = Response(status_code=status.HTTP_303_SEE_OTHER)
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(OIDC_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    tenant = f"&tenant={quote(outcome.tenant)}" if outcome.tenant else ""
    if outcome.mfa_token is not None:
        # The account has a second factor: the login page's second step, as after the
        # password (the same pending cookie, handed to POST /api/auth/mfa only).
        response.headers["Location"] = f"/#/login?mfa=1{tenant}"
        response.set_cookie(
            MFA_COOKIE,
            outcome.mfa_token,
            max_age=ctx.settings.mfa_minutes * 60,
            path="/",
            secure=True,
            httponly=True,
            samesite="strict",
        )
        return response
    if outcome.session_token is None:
        response.headers["Location"] = f"/#/login?oidc_error={outcome.refusal}{tenant}"
        return response
    response.headers["Location"] = "/#/"
    set_session_cookies(response, ctx, outcome.session_token)
    return response
