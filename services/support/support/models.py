"""Support tables, each column declared personal or not (docs/privacy.md)."""

import uuid

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from kit.events import EventStore
from kit.privacy.declarations import Purpose
from kit.privacy.subject import SubjectData
from support.config import get_settings


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    # Named constraints: SQLite's batch migrations need a name to drop or rebuild one.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
        }
    )


settings = get_settings()
events = EventStore(Base.metadata, source="support")
subject_data = SubjectData(
    Base.metadata,
    service="support",
    purpose=Purpose.SUPPORT_REQUESTS,
    key=settings.subject_key.get_secret_value().encode(),
)
