"""The identity service's unit tests: kit's ``database`` fixture on identity's tables, the
settings (with the data map bound to them) and the service's context."""

from pathlib import Path

import pytest
from sqlalchemy import MetaData

from identity.accounts.models import User
from identity.config import Settings
from identity.context import Context, build_context
from identity.models import Base, subject_data
from kit.db import Database
from services.identity.tests.factories import PASSWORD, make_tenant, make_user


@pytest.fixture
def metadata() -> MetaData:
    return Base.metadata


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The service's settings, with cheap password hashing; ``subject_data`` is bound to them."""
    found = Settings(
        var_dir=tmp_path,
        public_origins=["https://localhost:8443"],
        argon2_memory_kib=8192,
        argon2_time_cost=1,
    )
    subject_data.bind(found)
    return found


@pytest.fixture
def ctx(settings: Settings) -> Context:
    context = build_context(settings)
    context.keys.ensure()
    return context


@pytest.fixture(autouse=True)
def bound(settings: Settings) -> None:
    """Every test runs with ``subject_data`` bound (the app, the worker and scripts bind it at
    start-up)."""


@pytest.fixture
async def alice(database: Database, ctx: Context) -> User:
    """The employee alice@demo.test of the tenant ``demo``, with the password ``PASSWORD``."""
    async with database.transaction() as db:
        tenant = make_tenant()
        db.add(tenant)
        await db.flush()
        user = make_user(tenant.id, password_hash=ctx.passwords.hash(PASSWORD))
        db.add(user)
    return user
