"""The subsidies service's application: ``uvicorn subsidies.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kit.auth import TokenVerifier
from kit.events import EventStore
from kit.web import create_app
from subsidies.accounting.api import router as accounting
from subsidies.activities.api import router as activities
from subsidies.bookings.api import router as bookings
from subsidies.budgets.api import router as budgets
from subsidies.campaigns.api import router as campaigns
from subsidies.config import Settings, get_settings
from subsidies.context import build_context
from subsidies.grants.api import router as grants
from subsidies.mandates.api import router as mandates
from subsidies.models import events
from subsidies.profiles.api import router as profiles
from subsidies.quotients.api import router as quotients
from subsidies.rules.api import router as rules
from subsidies.statistics.api import router as statistics

ROUTERS = [
    profiles,
    rules,
    budgets,
    statistics,
    activities,
    mandates,
    bookings,
    grants,
    quotients,
    campaigns,
    accounting,
]


def build_app(
    settings: Settings,
    *,
    verifier: TokenVerifier | None = None,
    outbox: EventStore | None = events,
) -> FastAPI:
    """The app; its context is built at startup. Without ``outbox``, no relay publishes the
    outbox (tests in process)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.context = build_context(settings)
        yield

    return create_app(
        settings=settings, routers=ROUTERS, events=outbox, verifier=verifier, lifespan=lifespan
    )


app = build_app(get_settings())
