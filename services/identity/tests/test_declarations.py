"""Every column is classified, and the migrations build exactly the models' schema."""

import os
import subprocess
import sys
from pathlib import Path

from identity.models import Base
from kit.privacy.declarations import unclassified

SERVICE = Path(__file__).resolve().parents[1]


def test_every_column_is_classified() -> None:
    assert unclassified(Base.metadata) == []


def test_migrations_match_the_models(tmp_path: Path) -> None:
    env = os.environ | {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"}
    alembic = [sys.executable, "-m", "alembic", "-c", str(SERVICE / "alembic.ini")]
    subprocess.run([*alembic, "upgrade", "head"], env=env, check=True, capture_output=True)
    check = subprocess.run(
        [*alembic, "check"], env=env, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
