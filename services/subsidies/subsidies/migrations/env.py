"""Alembic environment of the subsidies service: the URL comes from its settings."""

from kit.migrations import run_migrations
from subsidies.config import get_settings
from subsidies.models import Base

run_migrations(Base.metadata, get_settings().database_url)
