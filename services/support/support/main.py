"""The support service's application: ``uvicorn support.main:app``."""

from kit.web import create_app
from support.api import partners, tickets
from support.config import get_settings
from support.models import events

settings = get_settings()

app = create_app(settings=settings, routers=[tickets.router, partners.router], events=events)
