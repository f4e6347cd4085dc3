"""Every column of the subsidies service is classified; its migrations build exactly its models."""

from pathlib import Path

from kit.testing import assert_every_column_classified, assert_migrations_match_models
from subsidies.models import Base

SERVICE = Path(__file__).resolve().parents[1]


def test_every_column_is_classified() -> None:
    assert_every_column_classified(Base.metadata)


def test_migrations_match_the_models(tmp_path: Path) -> None:
    assert_migrations_match_models(SERVICE / "alembic.ini", tmp_path)
