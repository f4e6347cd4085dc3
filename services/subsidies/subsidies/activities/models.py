"""Activities to book (a trip, a class): the works council's offer, nothing personal."""

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal
from subsidies.base import ID, TENANT, Base


class Activity(Base):
    """Something to book (a trip, a class), paid by SEPA direct debit."""

    __tablename__ = "activities"
    __table_args__ = (
        # The tenant's activities, the soonest first (kit.pagination), from an index position.
        Index("ix_activities_tenant_id_starts_at", "tenant_id", "starts_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=TENANT)
    title: Mapped[str] = mapped_column(String(200), info=not_personal("an activity"))
    price_cents: Mapped[int] = mapped_column(Integer, info=not_personal("a price"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))
    seats: Mapped[int | None] = mapped_column(Integer, info=not_personal("a count"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, info=not_personal("a flag"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))
