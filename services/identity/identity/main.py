"""The identity service's application: ``uvicorn identity.main:app``."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from identity import service
from identity.api import auth, internal, users
from identity.config import get_settings
from identity.keys import SigningKeys
from identity.models import events
from identity.passwords import Passwords
from identity.service import Identity
from kit.auth import StaticKeys, TokenVerifier
from kit.web import create_app

log = logging.getLogger("identity")
settings = get_settings()
assert settings.keys_dir is not None
signing_keys = SigningKeys(settings.keys_dir)


async def housekeeping(app: FastAPI, every_seconds: float = 3600) -> None:
    """Delete ended sessions and stale login counters, at start and then every hour."""
    while True:
        async with app.state.db.transaction() as db:
            sessions, throttles = await service.purge_expired(db, now=service.utcnow())
        log.info(
            "housekeeping", extra={"sessions_deleted": sessions, "throttles_deleted": throttles}
        )
        await asyncio.sleep(every_seconds)


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
    task = asyncio.create_task(housekeeping(app), name="housekeeping")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


app = create_app(
    settings=settings,
    routers=[auth.router, users.router, internal.router],
    events=events,
    # The identity service verifies its own tokens with the keys it holds.
    verifier=TokenVerifier(
        StaticKeys(signing_keys.jwks), issuer=settings.jwt_issuer, audience=settings.jwt_audience
    ),
    lifespan=lifespan,
)
