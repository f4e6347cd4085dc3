"""Data-subject requests and their per-service tasks, with their types, statuses and channels."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal, personal, subject_table
from kit.privacy.protocol import Action
from privacy.base import ID, KEYED, OBLIGATION, RIGHTS, WHEN, Base


class RequestType(StrEnum):
    ACCESS = "access"
    PORTABILITY = "portability"
    ERASURE = "erasure"
    RECTIFICATION = "rectification"
    RESTRICTION = "restriction"
    OBJECTION = "objection"


class RequestStatus(StrEnum):
    #: Filed by the DPO: waits for the one-time code mailed to the person.
    AWAITING_CODE = "awaiting_code"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


#: A request in one of these is answered: nothing more is sent for it.
FINAL = (
    RequestStatus.COMPLETED,
    RequestStatus.FAILED,
    RequestStatus.REJECTED,
    RequestStatus.CANCELLED,
)


class TaskStatus(StrEnum):
    #: A later phase, or a request waiting for its identity check: not sent yet.
    PENDING = "pending"
    #: Sent, no answer yet (sent again every ``retry_seconds``, less and less often).
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"
    #: Ended with its request (the request's final status).
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    """How a request arrived."""

    SELF_SERVICE = "self-service"
    #: Entered by the DPO, received by email or post.
    EMAIL = "email"
    POST = "post"
    #: Opened by the platform: identity closed an account unused for years.
    INACTIVITY = "inactivity"
    #: Filed for a tenant admin who removed an account.
    ADMIN_REMOVAL = "admin-removal"
    #: Opened by the closure of the person's tenant at the end of its client's contract.
    TENANT_CLOSURE = "tenant-closure"


#: The command of each request type but erasure (whose plan has phases).
SIMPLE_ACTIONS = {
    RequestType.ACCESS: Action.EXPORT,
    RequestType.PORTABILITY: Action.PORTABILITY,
    RequestType.RECTIFICATION: Action.RECTIFY,
    RequestType.RESTRICTION: Action.RESTRICT,
    RequestType.OBJECTION: Action.OBJECT,
}
#: Requests that only read: cancelling them before they complete undoes nothing.
READ_ONLY = frozenset({RequestType.ACCESS, RequestType.PORTABILITY})
#: Requests that hand out or destroy everything about the person: a stolen session must not.
SENSITIVE = frozenset({RequestType.ACCESS, RequestType.PORTABILITY, RequestType.ERASURE})
#: The security event each of those counts when filed (``kit.security``), made at 0 at start.
SENSITIVE_EVENTS = tuple(sorted(f"dsr.{kind}" for kind in SENSITIVE))


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
    #: The W3C ``traceparent`` of the call that filed it (``kit.tracing``): every later command
    #: of the request (sent again, the next phase, after the identity check) goes out in that
    #: trace, so a hosted APM shows the whole request as one trace. None for older rows.
    traceparent: Mapped[str | None] = mapped_column(
        String(55), info=not_personal("a W3C trace context: random ids")
    )
    #: The language of the answer (``fr``, ``en``): the filing's ``Accept-Language``
    #: (``kit.i18n.negotiate``); the archive's Art. 15 information and README are in it.
    #: Requests filed before it was recorded: French, the default.
    language: Mapped[str] = mapped_column(
        String(2), default="fr", server_default="fr", info=not_personal("a language code")
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
