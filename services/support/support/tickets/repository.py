"""Every query on tickets and their messages. Those made for a user carry the tenant; the
retention job and the erasure hook work across tenants."""

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from support.base import subject_data
from support.tickets.models import Ticket, TicketMessage, TicketStatus

#: Tickets, the latest activity first. ``updated_at`` moves: a ticket that changes while
#: someone pages goes to the top (the next load shows it first), never twice in one pass.
LATEST_ACTIVITY_FIRST = Keyset[Ticket](
    "tickets",
    (By(Ticket.updated_at, datetime, descending=True), By(Ticket.id, str)),
    key=lambda t: (t.updated_at, t.id),
)
#: A ticket's conversation, in the order it was written.
AS_WRITTEN = Keyset[TicketMessage](
    "messages",
    (By(TicketMessage.created_at, datetime), By(TicketMessage.id, str)),
    key=lambda m: (m.created_at, m.id),
)


async def tickets_page(
    db: AsyncSession,
    *,
    tenant_id: str,
    requester_id: str | None,
    status: TicketStatus | None,
    hide_restricted_but: str | None,
    cursor: str | None,
    limit: int,
) -> Page[Ticket]:
    """One page of the tenant's tickets (``requester_id``: that person's only). With
    ``hide_restricted_but`` (an agent's id), the tickets of people whose processing is
    restricted (Art. 18) are left out by the query, except the agent's own: a page holds
    ``limit`` tickets the agent may see. It used to be the newest 500, filtered afterwards."""
    query = select(Ticket).where(Ticket.tenant_id == tenant_id)
    if requester_id is not None:
        query = query.where(Ticket.requester_id == requester_id)
    if status is not None:
        query = query.where(Ticket.status == status)
    if hide_restricted_but is not None:
        restricted = select(subject_data.restrictions.c.subject)
        query = query.where(
            or_(Ticket.requester_id == hide_restricted_but, Ticket.requester_id.not_in(restricted))
        )
    return await fetch(db, [Part(query, LATEST_ACTIVITY_FIRST)], cursor=cursor, limit=limit)


async def ticket_in_tenant(
    db: AsyncSession, *, tenant_id: str, ticket_id: str, for_update: bool = False
) -> Ticket | None:
    query = select(Ticket).where(Ticket.id == ticket_id, Ticket.tenant_id == tenant_id)
    if for_update:
        query = query.with_for_update()
    return await db.scalar(query)


async def messages_page(
    db: AsyncSession, *, tenant_id: str, ticket_id: str, cursor: str | None, limit: int
) -> Page[TicketMessage]:
    query = select(TicketMessage).where(
        TicketMessage.ticket_id == ticket_id, TicketMessage.tenant_id == tenant_id
    )
    return await fetch(db, [Part(query, AS_WRITTEN)], cursor=cursor, limit=limit)


# -- retention (every tenant) ------------------------------------------------------------------


async def close_idle_resolved(db: AsyncSession, *, idle_since: datetime, now: datetime) -> int:
    """Close the tickets left ``resolved`` with no activity since ``idle_since``."""
    result = await db.execute(
        update(Ticket)
        .where(Ticket.status == TicketStatus.RESOLVED, Ticket.updated_at <= idle_since)
        .values(status=TicketStatus.CLOSED, closed_at=now, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_closed_tickets(db: AsyncSession, *, closed_before: datetime) -> int:
    """Delete the tickets closed at or before ``closed_before``, messages first."""
    closed = (Ticket.status == TicketStatus.CLOSED, Ticket.closed_at <= closed_before)
    due = select(Ticket.id).where(*closed)
    await db.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(due)))
    result = await db.execute(delete(Ticket).where(*closed))
    return int(result.rowcount)  # type: ignore[attr-defined]


# -- an agent's erasure (every tenant: the id is the person's) ---------------------------------


async def blank_agent(db: AsyncSession, *, agent_id: str) -> int:
    """Remove an agent's id from the tickets they hold and the answers they wrote to others."""
    assigned = await db.execute(
        update(Ticket).where(Ticket.assignee_id == agent_id).values(assignee_id=None)
    )
    authored = await db.execute(
        update(TicketMessage)
        .where(TicketMessage.author_id == agent_id, TicketMessage.requester_id != agent_id)
        .values(author_id=None)
    )
    return int(assigned.rowcount) + int(authored.rowcount)  # type: ignore[attr-defined]
