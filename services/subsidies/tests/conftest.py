"""The subsidies service's fixtures: the tables of kit's ``database`` fixture, and the
context the app and the worker build at startup (settings bound, field cipher)."""

import pytest
from sqlalchemy import MetaData

from subsidies.config import Settings
from subsidies.context import Context, build_context
from subsidies.models import Base


@pytest.fixture
def metadata() -> MetaData:
    return Base.metadata


@pytest.fixture(autouse=True)
def context() -> Context:
    """The default settings' context, built as at startup."""
    return build_context(Settings())
