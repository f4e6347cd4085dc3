"""Alembic environment of the privacy service: the URL comes from its settings."""

from kit.migrations import run_migrations
from privacy.config import get_settings
from privacy.models import Base

run_migrations(Base.metadata, get_settings().database_url)
