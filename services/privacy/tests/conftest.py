"""The privacy service's unit tests: a SQLite database and the service's context.

The database is built by the service's own migrations (once per session, then copied for
each test), as a deployment builds it: the platform's default processors are written by a
migration, not by the first read, so a schema made by ``create_all`` would lack them. This
``database`` replaces kit's (``kit.pytest_plugin``), which creates the tables of the models.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from kit.db import Database
from privacy.base import subject_data
from privacy.config import Settings
from privacy.context import Context, build_context

SERVICE = Path(__file__).resolve().parents[1]


def migrate(path: Path, revision: str = "head") -> None:
    """``alembic upgrade <revision>`` of the privacy service on the SQLite file ``path``."""
    env = os.environ | {"DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    alembic = [sys.executable, "-m", "alembic", "-c", str(SERVICE / "alembic.ini")]
    subprocess.run([*alembic, "upgrade", revision], env=env, check=True, capture_output=True)


@pytest.fixture
def migrate_to() -> Callable[[Path, str], None]:
    """``migrate``, for a test of the migrations themselves."""
    return migrate


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("privacy-schema") / "migrated.db"
    migrate(path)
    return path


@pytest.fixture
async def database(tmp_path: Path, migrated: Path, settings: Settings) -> AsyncIterator[Database]:
    """A copy of the migrated database; the personal-data declarations bound to ``settings``."""
    subject_data.bind(settings)
    path = tmp_path / "unit.db"
    shutil.copyfile(migrated, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path)


@pytest.fixture
def ctx(settings: Settings) -> Context:
    return build_context(settings)
