"""Alembic environment of the orders service: the URL comes from its settings."""

from kit.migrations import run_migrations
from orders.config import get_settings
from orders.models import Base

run_migrations(Base.metadata, get_settings().database_url)
