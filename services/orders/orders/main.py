"""The orders service's application: ``uvicorn orders.main:app``."""

from kit.web import create_app
from orders.api import offers, orders
from orders.config import get_settings
from orders.models import events

app = create_app(settings=get_settings(), routers=[offers.router, orders.router], events=events)
