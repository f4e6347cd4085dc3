"""The orders service's application: ``uvicorn orders.main:app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kit.web import create_app
from orders.api import offers, orders, payments
from orders.config import get_settings
from orders.models import events
from orders.payments import SandboxProvider

settings = get_settings()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The sandbox until a real provider's adapter is configured (same port, same webhook).
    app.state.payments = SandboxProvider(
        settings.payment_webhook_secret.get_secret_value().encode(),
        confirm_base=settings.sandbox_confirm_base,
    )
    yield


app = create_app(
    settings=settings,
    routers=[offers.router, orders.router, payments.router],
    events=events,
    lifespan=lifespan,
)
