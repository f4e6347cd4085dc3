"""Fixtures of the integration and end-to-end tests: the machine's PostgreSQL and RabbitMQ."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from devstack.rabbitmq import deprovision
from devstack.stack import ROOT, SERVICES, Stack, StackConfig

#: The role deploy/local/test-services.sh creates (CREATEDB, with a password).
PG_ADMIN_DSN = os.environ.get(
    "TEST_PG_DSN", "postgresql://platform_test:platform_test@127.0.0.1:5432/postgres"
)
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

CreateDatabase = Callable[[str], Coroutine[Any, Any, str]]


def asyncpg_url(name: str) -> str:
    """The SQLAlchemy URL of database ``name`` on the test server."""
    rest = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+asyncpg://{rest}/{name}"


async def recreate_database(name: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return asyncpg_url(name)


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def fresh_database() -> AsyncIterator[CreateDatabase]:
    """Make empty PostgreSQL databases for one test; they are dropped afterwards."""
    made: list[str] = []

    async def create(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        made.append(name)
        return await recreate_database(name)

    yield create
    for name in made:
        await drop_database(name)


@contextmanager
def postgres_stack(
    name: str,
    *,
    https_port: int,
    http_port: int,
    port_offset: int,
    password: str,
    env: dict[str, str],
    api_replicas: int = 1,
) -> Iterator[Stack]:
    """The whole platform on fresh PostgreSQL databases (one per service) and test ports.

    The gateway's limits are the production ones, sized for a workplace behind one address (a
    suite logs in many times from 127.0.0.1; the rate-limit tests use addresses of their own).
    Databases are dropped afterwards; logs stay in var/<name>.
    """
    databases = {spec.name: f"{spec.name}_{name}_{uuid.uuid4().hex[:6]}" for spec in SERVICES}
    urls = {service: asyncio.run(recreate_database(db)) for service, db in databases.items()}
    config = StackConfig(
        var_dir=Path(ROOT) / "var" / name,
        http_port=http_port,
        https_port=https_port,
        port_offset=port_offset,
        database_urls=urls,
        amqp_url=AMQP_URL,
        environment="test",
        demo_password=password,
        extra_env=env,
        api_replicas=api_replicas,
    )
    stack = Stack(config, say=print)
    try:
        stack.prepare()
        stack.start()
        yield stack
    finally:
        stack.stop()
        for db in databases.values():
            asyncio.run(drop_database(db))
        deprovision(stack.exchange, AMQP_URL)
