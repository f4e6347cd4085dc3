"""Personal-data breaches (PR8): the record, the authority's notifications, the people."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal, personal, subject_table
from privacy.base import ID, OBLIGATION, RIGHTS, STAFF_WORK, WHEN, Base


class NotificationPhase(StrEnum):
    """A notification to the authority: the initial one, then follow-ups (Art. 33(4))."""

    INITIAL = "initial"
    FOLLOW_UP = "follow-up"


class DeadlineStatus(StrEnum):
    """Where a breach stands against its 72 hours."""

    OK = "ok"
    #: Under 24 hours left.
    NEAR = "near"
    #: Over, and the authority not notified.
    PAST = "past"
    #: The authority was notified in time, or late.
    MET = "met"
    LATE = "late"


class Breach(Base):
    """A personal-data breach as the DPO records it (Art. 33(5): every breach is documented)."""

    __tablename__ = "breaches"
    __table_args__ = (
        Index("ix_breaches_tenant_id_aware_at", "tenant_id", "aware_at"),  # the list's order
        {"info": subject_table("reported_by", tenant="tenant_id")},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=not_personal("a company"))
    reported_by: Mapped[str] = mapped_column(String(36), info=STAFF_WORK)
    aware_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    nature: Mapped[str] = mapped_column(Text, info=not_personal("what happened"))
    services: Mapped[list[str]] = mapped_column(JSON, info=not_personal("services"))
    categories: Mapped[list[str]] = mapped_column(JSON, info=not_personal("data categories"))
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    approx_people: Mapped[int] = mapped_column(Integer, info=not_personal("a count"))
    approx_records: Mapped[int] = mapped_column(Integer, info=not_personal("a count"))
    consequences: Mapped[str] = mapped_column(Text, info=not_personal("likely consequences"))
    measures: Mapped[str] = mapped_column(Text, info=not_personal("measures taken"))
    #: The data was encrypted (unintelligible): people need not be told (Art. 34(3)(a)).
    encrypted: Mapped[bool] = mapped_column(Boolean, info=not_personal("a flag"))
    authority_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    people_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)


class BreachNotification(Base):
    """A notification to the authority, in phases (Art. 33(4)): the first, then follow-ups."""

    __tablename__ = "breach_notifications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    breach_id: Mapped[str] = mapped_column(
        ForeignKey("breaches.id", ondelete="CASCADE"), index=True, info=ID
    )
    phase: Mapped[str] = mapped_column(String(20), info=not_personal("initial or follow-up"))
    text: Mapped[str] = mapped_column(Text, info=not_personal("what the authority was told"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)


class BreachAffected(Base):
    """A person the breach concerns, found from the data map, and whether they were told."""

    __tablename__ = "breach_affected"
    __table_args__ = ({"info": subject_table("subject", kept="as long as the breach record")},)

    breach_id: Mapped[str] = mapped_column(
        ForeignKey("breaches.id", ondelete="CASCADE"), primary_key=True, info=ID
    )
    subject: Mapped[str] = mapped_column(
        String(36),
        primary_key=True,
        info=personal("breaches that concern you", RIGHTS, OBLIGATION, provided=False),
    )
    notified_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, info=personal("breaches that concern you", RIGHTS, OBLIGATION, provided=False)
    )


class BreachClientNotice(Base):
    """Art. 33(2): the client (the tenant, controller of its people's data) told of a breach
    touching its people, by the platform as its processor: who was told, when, and what."""

    __tablename__ = "breach_client_notices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    breach_id: Mapped[str] = mapped_column(
        ForeignKey("breaches.id", ondelete="CASCADE"), index=True, info=ID
    )
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=not_personal("a company"))
    #: Who was told: the tenant's accounts of this role (its admins).
    recipients: Mapped[str] = mapped_column(String(40), info=not_personal("a role"))
    #: What they were told (Art. 33(3)(a)-(d)).
    text: Mapped[str] = mapped_column(Text, info=not_personal("the notice"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
