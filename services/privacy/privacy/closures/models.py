"""The end of a client's contract (Art. 28(3)(g)): a tenant's closure and its people."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal, personal, subject_table
from privacy.base import ID, KEYED, OBLIGATION, RIGHTS, WHEN, Base


class ClosureStatus(StrEnum):
    #: Every person's data is being exported (one access request each).
    EXPORTING = "exporting"
    #: The client's archive is made; every person is being erased (one erasure each).
    ERASING = "erasing"
    #: Everyone erased but what the law keeps; the report is final.
    COMPLETED = "completed"


class TenantClosure(Base):
    """A tenant closed at the end of its client's contract: one per tenant, moved forward by
    the privacy worker's job, step by step, each step in one transaction (a crash or restart
    loses nothing and does nothing twice)."""

    __tablename__ = "tenant_closures"

    tenant_id: Mapped[str] = mapped_column(
        String(36), primary_key=True, info=not_personal("a company")
    )
    status: Mapped[str] = mapped_column(String(20), info=not_personal("a status"))
    requested_by: Mapped[str] = mapped_column(String(36), info=not_personal("an admin's id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    #: Identity's answer: the tenant closed (no sign-in, no session) and how many accounts it
    #: holds, each announced to the data map before; the export waits for it.
    identity_closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    accounts: Mapped[int | None] = mapped_column(Integer, info=not_personal("a count"))
    exported_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    #: The client's archive (encrypted at rest) under ``exports/closures``, and its end.
    archive_file: Mapped[str | None] = mapped_column(
        String(100), info=not_personal("a random file name")
    )
    archive_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    archive_size: Mapped[int | None] = mapped_column(Integer, info=not_personal("a size"))
    #: Per service: rows erased, rows kept and why (legal basis, reason, until when).
    report: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, info=not_personal("counts, tables, legal bases, dates")
    )


class ClosurePerson(Base):
    """A person of a closing tenant, with the requests that export and erase them. Once the
    person is erased, the row keeps the keyed hash only (``privacy.erasures.forget_records``)."""

    __tablename__ = "closure_people"
    __table_args__ = (
        {"info": subject_table("subject", tenant="tenant_id", kept="as proof of the closure")},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=not_personal("a company"))
    subject: Mapped[str | None] = mapped_column(
        String(36),
        unique=True,
        info=personal("account id", RIGHTS, OBLIGATION, provided=False),
    )
    subject_key: Mapped[str | None] = mapped_column(String(64), info=KEYED)
    access_request_id: Mapped[str | None] = mapped_column(
        String(36), info=not_personal("random id")
    )
    erasure_request_id: Mapped[str | None] = mapped_column(
        String(36), info=not_personal("random id")
    )
