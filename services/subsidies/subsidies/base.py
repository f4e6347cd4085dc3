"""What every subsidies table and body is declared on: the declarative base (kit's naming
convention), the outbox, the service's part of the data map (its settings bound at startup,
``context.build_context``), the words its columns are
declared with (docs/privacy.md), and the base of the request bodies."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from kit.db import NAMING_CONVENTION
from kit.events import EventStore
from kit.privacy.declarations import LegalBasis, Purpose, not_personal
from kit.privacy.subject import SubjectData
from subsidies.mandates.fields import reveal_bound


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


events = EventStore(Base.metadata, source="subsidies")
subject_data = SubjectData(
    Base.metadata,
    service="subsidies",
    purpose=Purpose.SOCIAL_ACTIVITIES,
    reveal=reveal_bound,
)

ACTIVITIES, CONTRACT = Purpose.SOCIAL_ACTIVITIES, LegalBasis.CONTRACT
OBLIGATION = LegalBasis.LEGAL_OBLIGATION
ID = not_personal("random id")
TENANT = not_personal("a company")
