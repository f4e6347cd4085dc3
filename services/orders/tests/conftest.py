"""The orders service's fixtures: one database for every test that needs one."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kit.db import Database
from kit.testing import sqlite_database
from orders.config import Settings
from orders.models import Base
from orders.partners.service import Fulfilment


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh SQLite database with the orders service's tables."""
    async with sqlite_database(tmp_path, Base.metadata) as db:
        yield db


@pytest.fixture
def fulfilment() -> Fulfilment:
    """The partners and pseudonym key of the default settings."""
    return Fulfilment.from_settings(Settings())
