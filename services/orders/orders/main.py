"""The orders service's application: ``uvicorn orders.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from kit.auth import TokenVerifier
from kit.events import EventStore
from kit.web import create_app
from orders.api import offers, orders, payments
from orders.config import Settings, get_settings
from orders.models import events
from orders.payments import PaymentProvider, SandboxProvider, configured_provider


def build(
    settings: Settings,
    *,
    provider: PaymentProvider | None = None,
    verifier: TokenVerifier | None = None,
    event_store: EventStore | None = events,
) -> FastAPI:
    """The app with ``settings``' payment provider (or ``provider``, for tests). The sandbox's
    pay route is mounted with the sandbox only: it lets a buyer mark their own order paid."""
    payment = provider or configured_provider(settings)
    routers: list[APIRouter] = [offers.router, orders.router, payments.router]
    if isinstance(payment, SandboxProvider):
        routers.append(payments.sandbox_router)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.payments = payment
        yield

    return create_app(
        settings=settings,
        routers=routers,
        events=event_store,
        verifier=verifier,
        lifespan=lifespan,
    )


app = build(get_settings())
