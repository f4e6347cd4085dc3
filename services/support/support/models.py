"""Support tables, each column declared personal or not (docs/privacy.md).

Tickets and their messages are an employee's conversations with the support agents of their
tenant: found by the requester's id (the messages carry it too, agents' answers included), so
the whole conversation is exported and erased with the person. A closed ticket is deleted
``CLOSED_TICKET_RETENTION_DAYS`` after closing. Partner listing requests come from people
without an account (the public form): found by the contact's email, deleted three years after
the last contact; a contact person's own request is handled by the DPO (docs/support.md).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import NAMING_CONVENTION, UtcDateTime, new_id
from kit.events import EventStore
from kit.privacy.declarations import LegalBasis, Purpose, not_personal, personal, subject_table
from kit.privacy.subject import SubjectData
from support.config import get_settings


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


settings = get_settings()
events = EventStore(Base.metadata, source="support")
subject_data = SubjectData(
    Base.metadata,
    service="support",
    purpose=Purpose.SUPPORT_REQUESTS,
    key=settings.subject_key.get_secret_value().encode(),
)

SUPPORT, CONTRACT = Purpose.SUPPORT_REQUESTS, LegalBasis.CONTRACT
PARTNERS, INTERESTS = Purpose.PARTNER_LISTING, LegalBasis.LEGITIMATE_INTERESTS

#: About the person's request, recorded by us (its reference, status, level, dates): exported,
#: not for the person to rewrite.
REQUEST = personal("support request", SUPPORT, CONTRACT, provided=False, rectifiable=False)
#: What was written in the conversation. A message is the record of what was said: it is
#: corrected by a new message, never rewritten (and the requester's rows hold the agents'
#: answers too, which are not theirs to edit).
WRITTEN = personal("support conversation", SUPPORT, CONTRACT, rectifiable=False)
#: The agent who wrote or holds a ticket: data about the agent, on the requester's rows. It
#: leaves with the requester's conversation; when the agent is erased it is blanked everywhere.
AGENT = personal("support agent", SUPPORT, INTERESTS, provided=False, rectifiable=False)
CLOSED_KEPT = f"{settings.closed_ticket_retention_days} days after the ticket is closed"

#: Escalation levels, lowest first; statuses. A closed ticket is final.
LEVELS = ("N1", "N2", "N3")
STATUSES = ("open", "pending", "resolved", "closed")


class Ticket(Base):
    """An employee's request to the support of their tenant."""

    __tablename__ = "tickets"
    __table_args__ = (
        # The lists' order (kit.pagination): the tenant's tickets and a person's, the latest
        # activity first, read from an index position page after page.
        Index("ix_tickets_tenant_id_updated_at", "tenant_id", "updated_at"),
        Index("ix_tickets_requester_id_updated_at", "requester_id", "updated_at"),
        {
            "info": subject_table(
                "requester_id",
                tenant="tenant_id",
                source="you, and the support agents who handle your request",
                kept=CLOSED_KEPT,
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=REQUEST)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=REQUEST)
    requester_id: Mapped[str] = mapped_column(String(36), index=True, info=REQUEST)
    subject: Mapped[str] = mapped_column(String(200), info=WRITTEN)
    status: Mapped[str] = mapped_column(String(20), info=REQUEST)
    level: Mapped[str] = mapped_column(String(2), info=REQUEST)
    assignee_id: Mapped[str | None] = mapped_column(String(36), info=AGENT)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=REQUEST)
    #: The last message or change: a ticket left resolved this long is closed.
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, info=REQUEST)
    #: Counts the retention of a closed ticket.
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True, info=REQUEST)


class TicketMessage(Base):
    """One message of a ticket's conversation, by the requester or an agent."""

    __tablename__ = "ticket_messages"
    __table_args__ = (
        # A conversation in the order it was written (kit.pagination).
        Index("ix_ticket_messages_ticket_id_created_at", "ticket_id", "created_at"),
        {
            "info": subject_table(
                "requester_id",
                tenant="tenant_id",
                source="you, and the support agents who answer you",
                kept=CLOSED_KEPT,
            )
        },
    )

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    ticket_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("tickets.id"), index=True, info=REQUEST
    )
    tenant_id: Mapped[str] = mapped_column(String(36), info=REQUEST)
    #: The ticket's requester (whoever wrote the message): the conversation is theirs.
    requester_id: Mapped[str] = mapped_column(String(36), index=True, info=REQUEST)
    #: ``requester`` or ``agent``.
    author_role: Mapped[str] = mapped_column(String(20), info=REQUEST)
    #: The requester's own id, or the agent's (blanked when that agent is erased).
    author_id: Mapped[str | None] = mapped_column(String(36), index=True, info=AGENT)
    body: Mapped[str] = mapped_column(Text, info=WRITTEN)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=REQUEST)


#: What a prospective partner's contact person gave us on the public form.
CONTACT = personal("business contact", PARTNERS, INTERESTS)
#: What we recorded about the request (dates, our notes).
FOLLOW_UP = personal("partner request follow-up", PARTNERS, INTERESTS, provided=False)


class PartnerRequest(Base):
    """A business asking to be listed as a partner of a tenant, from the public form.

    The contact person has no account: their rows are found by their email, and their own
    requests (access, erasure) are handled by the DPO (``DELETE /api/partners/requests/{id}``).
    """

    __tablename__ = "partner_requests"
    __table_args__ = (
        # A tenant's requests, the newest first (kit.pagination).
        Index("ix_partner_requests_tenant_slug_received_at", "tenant_slug", "received_at"),
        {
            "info": subject_table(
                "contact_email",
                tenant=None,
                source="you, through the public partner form",
                kept=f"{settings.partner_contact_retention_years} years after our last contact",
            )
        },
    )

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    #: The tenant asked (its public slug: the form has no session, so no tenant id).
    tenant_slug: Mapped[str] = mapped_column(String(63), index=True, info=not_personal("a company"))
    #: May name a sole trader: treated like the contact details.
    company: Mapped[str] = mapped_column(String(200), info=CONTACT)
    contact_name: Mapped[str] = mapped_column(String(200), info=CONTACT)
    contact_email: Mapped[str] = mapped_column(String(254), index=True, info=CONTACT)
    contact_phone: Mapped[str | None] = mapped_column(String(30), info=CONTACT)
    message: Mapped[str] = mapped_column(Text, info=CONTACT)
    #: ``received``, ``accepted``, ``rejected`` or ``contacted``.
    status: Mapped[str] = mapped_column(String(20), info=not_personal("a status"))
    note: Mapped[str | None] = mapped_column(Text, info=FOLLOW_UP)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, info=FOLLOW_UP)
    #: The form, then each agent's action: the three years count from here.
    last_contact_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=FOLLOW_UP)
