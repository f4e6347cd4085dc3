"""The support service's declarative base, its outbox and its personal-data registry.

Every feature's models derive from ``Base``; ``events`` (outbox, inbox) and ``subject_data``
(export, erasure, restriction, the data map) are declared on the same metadata, with kit's
naming convention for constraints. ``subject_data`` takes the settings at start-up
(``subject_data.bind``: ``support.context``, the worker's ``main``).
"""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from kit.db import NAMING_CONVENTION
from kit.events import EventStore
from kit.privacy.declarations import Purpose
from kit.privacy.subject import SubjectData


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


events = EventStore(Base.metadata, source="support")
subject_data = SubjectData(
    Base.metadata,
    service="support",
    purpose=Purpose.SUPPORT_REQUESTS,
)
