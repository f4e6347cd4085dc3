"""Fixtures every service's tests share (loaded by pytest through kit's ``pytest11`` entry point).

``database``: a fresh SQLite database per test with the tables of the ``metadata`` fixture,
which each service's ``tests/conftest.py`` defines (``return Base.metadata``).

``spans``: every span the process ends during the test, kept in memory.
"""

import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import MetaData

from kit import tracing
from kit.db import Database
from kit.testing import sqlite_database


@pytest.fixture
async def database(tmp_path: Path, metadata: MetaData) -> AsyncIterator[Database]:
    async with sqlite_database(tmp_path, metadata) as db:
        yield db


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """Every span the process ends from now on, kept in memory (added once to the process's
    provider, ``kit.tracing.configure_tracing``)."""
    memory = _memory()
    memory.clear()
    return memory


@functools.cache
def _memory() -> InMemorySpanExporter:
    memory = InMemorySpanExporter()
    tracing.configure_tracing("tests").add_span_processor(SimpleSpanProcessor(memory))
    return memory
