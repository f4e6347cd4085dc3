"""The subsidies service's fixtures: one database for every test that needs one, and the
context (the field cipher bound) the app and the worker build at startup."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kit.db import Database
from kit.testing import sqlite_database
from subsidies.config import Settings
from subsidies.context import Context, build_context
from subsidies.models import Base


@pytest.fixture(autouse=True)
def context() -> Context:
    """The default settings' context, built as at startup."""
    return build_context(Settings())


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh SQLite database with the subsidies service's tables."""
    async with sqlite_database(tmp_path, Base.metadata) as db:
        yield db
