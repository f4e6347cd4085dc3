"""Alembic environment of the identity service: the URL comes from its settings."""

from identity.config import get_settings
from identity.models import Base
from kit.migrations import run_migrations

run_migrations(Base.metadata, get_settings().database_url)
