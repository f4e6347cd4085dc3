"""The audit trail (PR10): who accessed a person's data."""

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import LegalBasis, not_personal, personal, subject_table
from privacy.base import ID, KEYED, RIGHTS, Base

#: Who used a person's data, seen from that person: the other people's ids and roles.
ACCESSED = personal(
    "who accessed your data",
    RIGHTS,
    LegalBasis.LEGITIMATE_INTERESTS,
    provided=False,
    rectifiable=False,
)


class AuditEntry(Base):
    """The audit trail (PR10): one read or change of a person's data by someone else, as the
    service that served it recorded it. Ids, a category and a route: nothing more. Kept
    ``audit_retention_days``; on the person's erasure their id becomes the keyed hash."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_subject_at", "subject", "at"),  # a person's log, by time
        {
            "info": subject_table(
                "subject",
                tenant="tenant_id",
                source="the service that served your data to someone else",
                kept="{audit_retention_days} days",
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), info=not_personal("a company"))
    subject: Mapped[str | None] = mapped_column(String(36), index=True, info=ACCESSED)
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True, info=KEYED)
    actor_id: Mapped[str] = mapped_column(String(36), info=ACCESSED)
    actor_roles: Mapped[list[str]] = mapped_column(JSON, info=ACCESSED)
    service: Mapped[str] = mapped_column(String(40), info=not_personal("a service"))
    action: Mapped[str] = mapped_column(String(10), info=not_personal("read or change"))
    what: Mapped[str] = mapped_column(String(100), info=not_personal("a category of data"))
    route: Mapped[str] = mapped_column(String(200), info=not_personal("a route template"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=ACCESSED)
