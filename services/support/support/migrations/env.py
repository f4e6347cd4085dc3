"""Alembic environment of the support service: the URL comes from its settings."""

from kit.migrations import run_migrations
from support.config import get_settings
from support.models import Base

run_migrations(Base.metadata, get_settings().database_url)
