"""The subsidies service's application: ``uvicorn subsidies.main:app``."""

from kit.web import create_app
from subsidies.api import activities, admin, internal, profile
from subsidies.config import get_settings
from subsidies.models import events

settings = get_settings()

app = create_app(
    settings=settings,
    routers=[profile.router, admin.router, activities.router, internal.router],
    events=events,
)
