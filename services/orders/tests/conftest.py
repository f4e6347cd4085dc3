"""The orders service's fixtures. kit's pytest plugin gives ``database``: a fresh SQLite
database with the tables of ``metadata`` below."""

import pytest
from sqlalchemy import MetaData

from orders.base import subject_data
from orders.config import Settings
from orders.models import Base
from orders.partners.service import Fulfilment


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def metadata(settings: Settings) -> MetaData:
    """The orders service's tables, their personal-data declarations bound to ``settings``."""
    subject_data.bind(settings)
    return Base.metadata


@pytest.fixture
def fulfilment(settings: Settings) -> Fulfilment:
    """The partners and pseudonym key of the settings."""
    return Fulfilment.from_settings(settings)
