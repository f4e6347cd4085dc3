"""The data map: which services hold data on whom."""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime
from kit.privacy.declarations import not_personal, personal, subject_table
from privacy.base import OBLIGATION, RIGHTS, WHEN, Base


class DataMapEntry(Base):
    """Who holds what on whom: one row per (person, service)."""

    __tablename__ = "data_map"
    __table_args__ = (
        {"info": subject_table("subject", tenant="tenant_id", source="our services")},
    )

    subject: Mapped[str] = mapped_column(
        String(36),
        primary_key=True,
        info=personal("account id", RIGHTS, OBLIGATION, provided=False),
    )
    service: Mapped[str] = mapped_column(
        String(40), primary_key=True, info=personal("data map", RIGHTS, OBLIGATION, provided=False)
    )
    tenant_id: Mapped[str] = mapped_column(String(36), info=not_personal("a company"))
    categories: Mapped[list[str]] = mapped_column(
        JSON, info=personal("data map", RIGHTS, OBLIGATION, provided=False)
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
