"""Fixtures every service's tests share (loaded by pytest through kit's ``pytest11`` entry point).

``database``: a fresh SQLite database per test with the tables of the ``metadata`` fixture,
which each service's ``tests/conftest.py`` defines (``return Base.metadata``).
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from kit.db import Database
from kit.testing import sqlite_database


@pytest.fixture
async def database(tmp_path: Path, metadata: MetaData) -> AsyncIterator[Database]:
    async with sqlite_database(tmp_path, metadata) as db:
        yield db
