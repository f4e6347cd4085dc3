"""The privacy service's application: ``uvicorn privacy.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kit.web import create_app
from privacy.api import audit, consents, dpo, requests
from privacy.api import breaches as breaches_api
from privacy.api import processors as processors_api
from privacy.api import register as register_api
from privacy.config import get_settings
from privacy.models import events
from privacy.service import Privacy

settings = get_settings()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.privacy = Privacy.load(settings)
    yield


app = create_app(
    settings=settings,
    routers=[
        requests.router,
        dpo.router,
        audit.router,
        consents.router,
        register_api.router,
        processors_api.router,
        breaches_api.router,
    ],
    events=events,
    lifespan=lifespan,
)
