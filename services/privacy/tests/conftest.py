"""The privacy service's unit tests: a SQLite database and the service's context."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kit.db import Database
from kit.testing import sqlite_database
from privacy import service
from privacy.config import Settings
from privacy.models import Base


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    async with sqlite_database(tmp_path, Base.metadata) as db:
        yield db


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path)


@pytest.fixture
def ctx(settings: Settings) -> service.Privacy:
    return service.Privacy.load(settings)
