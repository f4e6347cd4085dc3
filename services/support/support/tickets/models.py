"""Tickets and their messages, each column declared personal or not (docs/privacy.md).

Tickets and their messages are an employee's conversations with the support agents of their
tenant: found by the requester's id (the messages carry it too, agents' answers included), so
the whole conversation is exported and erased with the person. A closed ticket is deleted
``closed_ticket_retention_days`` after closing (``support.jobs``).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import LegalBasis, Purpose, not_personal, personal, subject_table
from support.base import Base


class TicketStatus(StrEnum):
    OPEN = "open"
    #: Waiting for the requester.
    PENDING = "pending"
    RESOLVED = "resolved"
    #: Final: no message, no change.
    CLOSED = "closed"


class Level(StrEnum):
    """Escalation levels, lowest first."""

    N1 = "N1"
    N2 = "N2"
    N3 = "N3"


class AuthorRole(StrEnum):
    """Who wrote a message."""

    REQUESTER = "requester"
    AGENT = "agent"


SUPPORT, CONTRACT, INTERESTS = (
    Purpose.SUPPORT_REQUESTS,
    LegalBasis.CONTRACT,
    LegalBasis.LEGITIMATE_INTERESTS,
)

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
#: Filled from the bound settings (``subject_data.bind``).
CLOSED_KEPT = "{closed_ticket_retention_days} days after the ticket is closed"


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
    #: A ``TicketStatus``.
    status: Mapped[str] = mapped_column(String(20), info=REQUEST)
    #: A ``Level``.
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
    #: An ``AuthorRole``.
    author_role: Mapped[str] = mapped_column(String(20), info=REQUEST)
    #: The requester's own id, or the agent's (blanked when that agent is erased).
    author_id: Mapped[str | None] = mapped_column(String(36), index=True, info=AGENT)
    body: Mapped[str] = mapped_column(Text, info=WRITTEN)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=REQUEST)
