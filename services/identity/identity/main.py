"""The identity service's application: ``uvicorn identity.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from identity.api import auth, imports, internal, users
from identity.config import get_settings
from identity.keys import SigningKeys
from identity.models import events
from identity.passwords import Passwords
from identity.service import Identity
from kit.auth import StaticKeys, TokenVerifier
from kit.web import create_app

settings = get_settings()
assert settings.keys_dir is not None
signing_keys = SigningKeys(settings.keys_dir)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    signing_keys.ensure()
    app.state.identity = Identity(
        settings=settings,
        passwords=Passwords(
            memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
        ),
        keys=signing_keys,
    )
    yield


app = create_app(
    settings=settings,
    routers=[auth.router, users.router, imports.router, internal.router],
    events=events,
    # The identity service verifies its own tokens with the keys it holds.
    verifier=TokenVerifier(
        StaticKeys(signing_keys.jwks), issuer=settings.jwt_issuer, audience=settings.service_name
    ),
    lifespan=lifespan,
)
