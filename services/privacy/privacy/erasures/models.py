"""Erased people, by keyed hash only."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime
from kit.privacy.declarations import not_personal, subject_table
from privacy.base import ID, KEYED, WHEN, Base


class Forgotten(Base):
    """Erased people, by keyed hash only: what is re-erased after a backup is restored."""

    __tablename__ = "forgotten"
    __table_args__ = (
        {"info": subject_table("subject_key", kept="as long as a backup may hold the data")},
    )

    subject_key: Mapped[str] = mapped_column(String(64), primary_key=True, info=KEYED)
    tenant_id: Mapped[str] = mapped_column(String(36), info=not_personal("a company"))
    request_id: Mapped[str] = mapped_column(String(36), info=ID)
    erased_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
