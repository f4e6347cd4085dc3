"""The privacy service's application: ``uvicorn privacy.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kit.web import create_app
from privacy.audit.api import router as audit
from privacy.breaches.api import router as breaches
from privacy.clients.api import router as clients
from privacy.closures.api import router as closures
from privacy.config import Settings, get_settings
from privacy.consents.api import router as consents
from privacy.context import build_context
from privacy.dpo.api import router as dpo
from privacy.models import events
from privacy.processors.api import router as processors
from privacy.register.api import router as register
from privacy.requests.api import router as requests
from privacy.requests.models import SENSITIVE_EVENTS


def build_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.context = build_context(settings)
        yield

    return create_app(
        settings=settings,
        routers=[requests, dpo, audit, consents, register, processors, breaches, clients, closures],
        events=events,
        lifespan=lifespan,
        security_events=SENSITIVE_EVENTS,
    )


app = build_app(get_settings())
