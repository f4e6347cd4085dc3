"""The identity service's application: ``uvicorn identity.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from identity.accounts import api as accounts_api
from identity.base import SecurityEvent
from identity.config import Settings, get_settings
from identity.context import build_context
from identity.imports import api as imports_api
from identity.mfa import api as mfa_api
from identity.models import events
from identity.oidc import api as oidc_api
from identity.passwords import api as passwords_api
from identity.sessions import api as sessions_api
from identity.signin import api as signin_api
from identity.tenants import api as tenants_api
from identity.tokens import api as tokens_api
from identity.tokens.keys import SigningKeys
from kit.auth import StaticKeys, TokenVerifier
from kit.web import create_app

ROUTERS = [
    # The gateway's session check first: it runs before nearly every request of the platform,
    # and FastAPI tries the routers in this order (behind the twelve others, matching it was
    # about a tenth of its CPU: 650 -> 592 us per check, docs/performance.md).
    sessions_api.internal_router,
    # /api/auth
    signin_api.router,
    mfa_api.router,
    oidc_api.router,
    passwords_api.router,
    sessions_api.router,
    accounts_api.auth_router,
    tenants_api.router,
    # /api/users
    accounts_api.router,
    imports_api.router,
    # for the gateway and the other services
    tokens_api.router,
    accounts_api.internal_router,
]


def build_app(settings: Settings) -> FastAPI:
    """The app: its context (``identity.context``) is built at startup, with the signing keys
    its own token verifier reads (the identity service verifies the tokens it signs)."""
    assert settings.keys_dir is not None
    signing_keys = SigningKeys(settings.keys_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        signing_keys.ensure()
        app.state.context = build_context(settings, keys=signing_keys)
        yield

    return create_app(
        settings=settings,
        routers=ROUTERS,
        events=events,
        verifier=TokenVerifier(
            StaticKeys(signing_keys.jwks),
            issuer=settings.jwt_issuer,
            audience=settings.service_name,
        ),
        lifespan=lifespan,
        security_events=list(SecurityEvent),
    )


app = build_app(get_settings())
