"""The orders service's application: ``uvicorn orders.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from kit.auth import TokenVerifier
from kit.events import EventStore
from kit.web import create_app
from orders.config import Settings, get_settings
from orders.context import build_context
from orders.invoices import api as invoices
from orders.models import events
from orders.offers import api as offers
from orders.orders import api as orders
from orders.payments import api as payments
from orders.payments.provider import PaymentProvider, SandboxProvider


def build_app(
    settings: Settings,
    *,
    provider: PaymentProvider | None = None,
    verifier: TokenVerifier | None = None,
    outbox: EventStore | None = events,
) -> FastAPI:
    """The app with ``settings``' payment provider (or ``provider``, for tests). The sandbox's
    pay route is mounted with the sandbox only: it lets a buyer mark their own order paid."""
    context = build_context(settings, payments=provider)
    routers: list[APIRouter] = [offers.router, orders.router, invoices.router, payments.router]
    if isinstance(context.payments, SandboxProvider):
        routers.append(payments.sandbox_router)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.context = context
        yield

    return create_app(
        settings=settings,
        routers=routers,
        events=outbox,
        verifier=verifier,
        lifespan=lifespan,
    )


app = build_app(get_settings())
