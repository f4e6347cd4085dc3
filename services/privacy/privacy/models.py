"""Privacy tables: requests and their per-service tasks, export parts and archives, the data
map, and the list of erased people (keyed hashes only)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import UtcDateTime
from kit.events import EventStore
from kit.privacy.declarations import LegalBasis, Purpose, not_personal, personal, subject_table
from kit.privacy.subject import SubjectData
from privacy.config import get_settings


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


events = EventStore(Base.metadata, source="privacy")
subject_data = SubjectData(
    Base.metadata,
    service="privacy",
    purpose=Purpose.SITE_COMMUNICATION,
    key=get_settings().subject_key.get_secret_value().encode(),
)

RIGHTS = Purpose.SITE_COMMUNICATION
OBLIGATION = LegalBasis.LEGAL_OBLIGATION  # answering data-subject requests (Art. 12-22)
ID = not_personal("random id")
#: A keyed, non-reversible hash of an account id: pseudonymous, so still declared.
KEYED = personal(
    "pseudonymous key", RIGHTS, OBLIGATION, provided=False, exportable=False, rectifiable=False
)
WHEN = not_personal("a date")


class Request(Base):
    """A data-subject request. Once an erasure is done, ``subject`` and ``corrections`` are
    emptied: the keyed hash and the report remain, as the proof that it was answered."""

    __tablename__ = "requests"
    __table_args__ = (
        {"info": subject_table("subject", tenant="tenant_id", kept="as proof of the answer")},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=not_personal("a company"))
    subject: Mapped[str | None] = mapped_column(
        String(36), index=True, info=personal("account id", RIGHTS, OBLIGATION, provided=False)
    )
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True, info=KEYED)
    type: Mapped[str] = mapped_column(String(20), info=not_personal("a request type"))
    status: Mapped[str] = mapped_column(String(20), info=not_personal("a status"))
    channel: Mapped[str] = mapped_column(String(20), info=not_personal("self-service, email..."))
    identity_check: Mapped[str | None] = mapped_column(
        String(500), info=personal("identity check", RIGHTS, OBLIGATION, provided=False)
    )
    filed_by: Mapped[str | None] = mapped_column(String(36), info=not_personal("a DPO's id"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    extended_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    extension_reason: Mapped[str | None] = mapped_column(
        String(500), info=not_personal("the DPO's reason")
    )
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    corrections: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, info=personal("corrections", RIGHTS, OBLIGATION)
    )
    report: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, info=not_personal("per service: tables, counts, legal bases, dates")
    )
    failure_reason: Mapped[str | None] = mapped_column(String(500), info=not_personal("a reason"))


class Task(Base):
    """One command to one service for one request, and its answer."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True, info=ID
    )
    service: Mapped[str] = mapped_column(String(40), info=not_personal("a service"))
    action: Mapped[str] = mapped_column(String(30), info=not_personal("an action"))
    phase: Mapped[int] = mapped_column(Integer, info=not_personal("an order"))
    status: Mapped[str] = mapped_column(String(20), info=not_personal("a status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("a count"))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True, info=WHEN)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    result: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, info=not_personal("counts, tables, legal bases, dates")
    )


class ExportPart(Base):
    """A service's export, still sealed for us, until the archive is built."""

    __tablename__ = "export_parts"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True, info=ID
    )
    service: Mapped[str] = mapped_column(String(40), primary_key=True, info=not_personal("a name"))
    sealed: Mapped[str] = mapped_column(
        Text, info=not_personal("ciphertext only the privacy service opens; deleted once used")
    )
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)


class Archive(Base):
    """An export archive on disk (encrypted), downloadable by the person until ``expires_at``."""

    __tablename__ = "archives"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True, info=ID
    )
    file_name: Mapped[str] = mapped_column(String(100), info=not_personal("a random file name"))
    size: Mapped[int] = mapped_column(Integer, info=not_personal("a size"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=WHEN)
    downloads: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("a count"))


class Download(Base):
    """Each download of an archive (who is implied: only the requester can download)."""

    __tablename__ = "downloads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True, info=ID
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)


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
    ``AUDIT_RETENTION_DAYS``; on the person's erasure their id becomes the keyed hash."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        {
            "info": subject_table(
                "subject",
                tenant="tenant_id",
                source="the service that served your data to someone else",
                kept=f"{get_settings().audit_retention_days} days",
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
