"""Privacy tables: requests and their per-service tasks, export parts and archives, the data
map, and the list of erased people (keyed hashes only)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.events import EventStore
from kit.privacy.declarations import LegalBasis, Purpose, not_personal, personal, subject_table
from kit.privacy.subject import SubjectData
from privacy.config import get_settings


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
        # The lists' orders (kit.pagination): a person's requests and the tenant's answered
        # ones, newest first, read from an index position page after page.
        Index("ix_requests_subject_received_at", "subject", "received_at"),
        Index("ix_requests_tenant_id_received_at", "tenant_id", "received_at"),
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
    #: A hash of who filed it and the client's ``Idempotency-Key``: the same filing sent again
    #: (its answer was lost) finds this request instead of making a second one.
    idempotency_key: Mapped[str | None] = mapped_column(
        String(64), unique=True, info=not_personal("a hash of a client's retry key")
    )


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
        Index("ix_audit_entries_subject_at", "subject", "at"),  # a person's log, by time
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


# -- consents and newsletters (PR6) ------------------------------------------------------------

CONSENTED = personal("consents", RIGHTS, LegalBasis.CONSENT, provided=True, rectifiable=False)


class Consent(Base):
    """A person's current choice for a purpose that needs consent (newsletters...)."""

    __tablename__ = "consents"
    __table_args__ = (
        {"info": subject_table("subject", tenant="tenant_id", kept="while your account exists")},
    )

    subject: Mapped[str] = mapped_column(String(36), primary_key=True, info=CONSENTED)
    purpose: Mapped[str] = mapped_column(
        String(40), primary_key=True, info=not_personal("a purpose")
    )
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=not_personal("a company"))
    granted: Mapped[bool] = mapped_column(Boolean, info=CONSENTED)
    notice_version: Mapped[str] = mapped_column(String(20), info=CONSENTED)
    channel: Mapped[str] = mapped_column(String(20), info=CONSENTED)
    at: Mapped[datetime] = mapped_column(UtcDateTime, info=CONSENTED)


class ConsentEvent(Base):
    """Each consent given or withdrawn, kept as the proof (who, what, which notice, when, how).
    On erasure the person's id becomes the keyed hash: the proof stays, the person goes."""

    __tablename__ = "consent_events"
    __table_args__ = (
        Index("ix_consent_events_subject_at", "subject", "at"),  # a person's history, by time
        {
            "info": subject_table(
                "subject", tenant="tenant_id", kept="5 years, as the proof of your consent"
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    subject: Mapped[str | None] = mapped_column(String(36), index=True, info=CONSENTED)
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True, info=KEYED)
    tenant_id: Mapped[str] = mapped_column(String(36), info=not_personal("a company"))
    purpose: Mapped[str] = mapped_column(String(40), info=not_personal("a purpose"))
    granted: Mapped[bool] = mapped_column(Boolean, info=CONSENTED)
    notice_version: Mapped[str] = mapped_column(String(20), info=CONSENTED)
    channel: Mapped[str] = mapped_column(String(20), info=CONSENTED)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=CONSENTED)


STAFF_WORK = personal(
    "staff member's work", RIGHTS, LegalBasis.LEGITIMATE_INTERESTS, provided=False,
    rectifiable=False,
)  # fmt: skip


class Newsletter(Base):
    """A newsletter a tenant admin sent: to whoever consented and did not object, then."""

    __tablename__ = "newsletters"
    __table_args__ = ({"info": subject_table("author_id", tenant="tenant_id")},)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=not_personal("a company"))
    author_id: Mapped[str] = mapped_column(String(36), info=STAFF_WORK)
    subject_line: Mapped[str] = mapped_column(String(200), info=not_personal("a newsletter"))
    text: Mapped[str] = mapped_column(Text, info=not_personal("a newsletter"))
    recipients: Mapped[int] = mapped_column(Integer, info=not_personal("a count"))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)


class UnsubscribeToken(Base):
    """The link in a newsletter: withdraws that person's consent, once, without logging in."""

    __tablename__ = "unsubscribe_tokens"
    __table_args__ = ({"info": subject_table("subject", tenant="tenant_id", kept="90 days")},)

    token_hash: Mapped[str] = mapped_column(
        String(64), primary_key=True, info=not_personal("hash of a random token")
    )
    subject: Mapped[str] = mapped_column(String(36), index=True, info=CONSENTED)
    tenant_id: Mapped[str] = mapped_column(String(36), info=not_personal("a company"))
    purpose: Mapped[str] = mapped_column(String(40), info=not_personal("a purpose"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=WHEN)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)


# -- breaches (PR8) -----------------------------------------------------------------------------


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


# -- processors and the register (PR7, PR9) -----------------------------------------------------


class Processor(Base):
    """A processor (Art. 28): the platform's (hosting, email, payment...), in every tenant's
    register and kept by the platform administrator, or one tenant's own, kept by its DPO."""

    __tablename__ = "processors"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    #: None: the platform's; otherwise the tenant whose register alone lists it.
    tenant_id: Mapped[str | None] = mapped_column(
        String(36), index=True, info=not_personal("a company, or none for the platform's")
    )
    name: Mapped[str] = mapped_column(String(200), info=not_personal("a company"))
    role: Mapped[str] = mapped_column(String(200), info=not_personal("what it does for us"))
    data_categories: Mapped[list[str]] = mapped_column(JSON, info=not_personal("categories"))
    #: ISO country code of where the data is processed.
    location: Mapped[str] = mapped_column(String(2), info=not_personal("a country"))
    #: For a country outside the EU/EEA: the documented safeguard (adequacy decision, SCCs...).
    safeguard: Mapped[str | None] = mapped_column(String(500), info=not_personal("a safeguard"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)


class ServiceDeclaration(Base):
    """What a service declared about the personal data it holds, as it published it at start:
    the register of processing is generated from these."""

    __tablename__ = "service_declarations"

    service: Mapped[str] = mapped_column(String(40), primary_key=True, info=not_personal("a name"))
    inventory: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, info=not_personal("tables, columns and their declarations")
    )
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)


# -- identity checks of requests received by email or post (PR1) --------------------------------


class Verification(Base):
    """A one-time code mailed to the address on the account before a request the DPO filed on
    someone's behalf runs; any identity document is kept encrypted until the check, then
    deleted."""

    __tablename__ = "verifications"
    __table_args__ = ({"info": subject_table("subject", kept="until the identity check")},)

    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True, info=ID
    )
    subject: Mapped[str | None] = mapped_column(
        String(36), index=True, info=personal("account id", RIGHTS, OBLIGATION, provided=False)
    )
    code_hash: Mapped[str] = mapped_column(String(64), info=not_personal("hash of a code"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    attempts: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("a count"))
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    #: Encrypted; deleted right after the check (then only ``document_deleted_at`` remains).
    document: Mapped[str | None] = mapped_column(
        Text,
        info=personal("identity document", RIGHTS, OBLIGATION, exportable=False, rectifiable=False),
    )
    document_deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
