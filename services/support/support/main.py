"""The support service's application: ``uvicorn support.main:app``."""

from fastapi import FastAPI

from kit.auth import TokenVerifier
from kit.events import EventStore
from kit.web import create_app
from support.config import Settings, get_settings
from support.context import build_context
from support.models import events
from support.partners.api import router as partners
from support.tickets.api import router as tickets


def build_app(
    settings: Settings,
    *,
    verifier: TokenVerifier | None = None,
    outbox: EventStore | None = events,
) -> FastAPI:
    """The app with its context; in tests ``verifier`` stands in for the gateway's token, and
    ``outbox=None`` leaves out the outbox's relay (no broker)."""
    app = create_app(
        settings=settings, routers=[tickets, partners], events=outbox, verifier=verifier
    )
    app.state.context = build_context(settings)
    return app


app = build_app(get_settings())
