"""Ticket rules: who sees which ticket, how a ticket moves, and an agent's erasure.

- An employee sees their own tickets; a support agent every ticket of their tenant (except
  those of a person whose processing is restricted, Art. 18); anyone else gets a 404, the same
  answer as an unknown id.
- A ticket is escalated one or more levels (N1 → N2 → N3), never back down: a level records
  how far the request had to go, and a lower level would hide from the requester and the
  agents that it needed a specialist (409). It can still be reassigned at its level.
- ``closed`` is final: no message, no change (409); the requester opens a new ticket.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal, Role
from kit.errors import Conflict, Forbidden, Invalid, NotFound
from kit.pagination import DEFAULT_LIMIT, Page
from support.base import events, subject_data
from support.tickets import repository
from support.tickets.models import AuthorRole, Level, Ticket, TicketMessage, TicketStatus
from support.tickets.schemas import MessageCreate, TicketCreate, TicketUpdate

#: The levels, lowest first.
LEVELS = list(Level)


def is_agent(principal: Principal) -> bool:
    return Role.SUPPORT_AGENT in principal.roles


async def open_ticket(
    db: AsyncSession, *, principal: Principal, data: TicketCreate, now: datetime
) -> Ticket:
    """A new ticket, ``open`` at ``N1``, with its first message."""
    ticket = Ticket(
        tenant_id=principal.tenant_id,
        requester_id=principal.user_id,
        subject=data.subject,
        status=TicketStatus.OPEN,
        level=LEVELS[0],
        created_at=now,
        updated_at=now,
    )
    db.add(ticket)
    await db.flush()
    db.add(
        TicketMessage(
            ticket_id=ticket.id,
            tenant_id=ticket.tenant_id,
            requester_id=ticket.requester_id,
            author_role=AuthorRole.REQUESTER,
            author_id=principal.user_id,
            body=data.message,
            created_at=now,
        )
    )
    await db.flush()
    await subject_data.record_personal_data(
        db, events, subject=principal.user_id, tenant=principal.tenant_id
    )
    return ticket


async def visible_tickets(
    db: AsyncSession,
    *,
    principal: Principal,
    status: TicketStatus | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Ticket]:
    """One page of the employee's own tickets; of every ticket of the tenant for an agent
    (but those of a person whose processing is restricted), the latest activity first."""
    agent = is_agent(principal)
    return await repository.tickets_page(
        db,
        tenant_id=principal.tenant_id,
        requester_id=None if agent else principal.user_id,
        status=status,
        hide_restricted_but=principal.user_id if agent else None,
        cursor=cursor,
        limit=limit,
    )


async def visible_ticket(
    db: AsyncSession, *, principal: Principal, ticket_id: str, for_update: bool = False
) -> Ticket:
    """The requester's own ticket, or any of the tenant's for an agent; 404 otherwise."""
    ticket = await repository.ticket_in_tenant(
        db, tenant_id=principal.tenant_id, ticket_id=ticket_id, for_update=for_update
    )
    if ticket is not None and (
        ticket.requester_id == principal.user_id
        or (is_agent(principal) and not await subject_data.is_restricted(db, ticket.requester_id))
    ):
        return ticket
    raise NotFound("ticket not found")


async def messages(
    db: AsyncSession, ticket: Ticket, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[TicketMessage]:
    """One page of the ticket's conversation, in the order it was written."""
    return await repository.messages_page(
        db, tenant_id=ticket.tenant_id, ticket_id=ticket.id, cursor=cursor, limit=limit
    )


async def add_message(
    db: AsyncSession, *, principal: Principal, ticket_id: str, data: MessageCreate, now: datetime
) -> TicketMessage:
    """The requester or an agent writes; the requester's answer reopens a pending or resolved
    ticket; a closed ticket takes nothing more."""
    ticket = await visible_ticket(db, principal=principal, ticket_id=ticket_id, for_update=True)
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict("this ticket is closed: open a new one")
    by_requester = ticket.requester_id == principal.user_id
    message = TicketMessage(
        ticket_id=ticket.id,
        tenant_id=ticket.tenant_id,
        requester_id=ticket.requester_id,
        author_role=AuthorRole.REQUESTER if by_requester else AuthorRole.AGENT,
        author_id=principal.user_id,
        body=data.body,
        created_at=now,
    )
    db.add(message)
    if by_requester and ticket.status in (TicketStatus.PENDING, TicketStatus.RESOLVED):
        ticket.status = TicketStatus.OPEN
    ticket.updated_at = now
    await db.flush()
    return message


def next_level(current: str, wanted: str) -> Level:
    """Up one or more levels, or the same; never down (409)."""
    if LEVELS.index(Level(wanted)) < LEVELS.index(Level(current)):
        raise Conflict("a ticket is escalated, never de-escalated")
    return Level(wanted)


async def update_ticket(
    db: AsyncSession, *, principal: Principal, ticket_id: str, data: TicketUpdate, now: datetime
) -> Ticket:
    """An agent changes the status, the level or the assignee (``None`` unassigns)."""
    if not is_agent(principal):
        raise Forbidden("only support agents change a ticket")
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise Invalid("nothing to change")
    for field in ("status", "level"):
        if field in changes and changes[field] is None:
            raise Invalid(f"{field} cannot be empty")
    ticket = await visible_ticket(db, principal=principal, ticket_id=ticket_id, for_update=True)
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict("this ticket is closed: open a new one")
    if "level" in changes:
        ticket.level = next_level(ticket.level, changes["level"])
    if "assignee_id" in changes:
        assignee = changes["assignee_id"]
        ticket.assignee_id = None if assignee is None else str(assignee)
    if "status" in changes:
        ticket.status = TicketStatus(changes["status"])
        if ticket.status == TicketStatus.CLOSED:
            ticket.closed_at = now
    ticket.updated_at = now
    await db.flush()
    return ticket


async def forget_agent(
    db: AsyncSession, subject: str, _payload: dict[str, Any], _now: datetime
) -> dict[str, Any]:
    """Erasure hook: an erased agent's id leaves the others' tickets (their answers stay, as
    the requester's conversation, signed ``agent``)."""
    return {"agent_references_blanked": await repository.blank_agent(db, agent_id=subject)}
