"""Support rules: who sees which ticket, how a ticket moves, the public partner form, and the
retention of both. No HTTP here except identity's public tenant lookup.

- An employee sees their own tickets; a support agent every ticket of their tenant (except
  those of a person whose processing is restricted, Art. 18); anyone else gets a 404, the same
  answer as an unknown id.
- A ticket is escalated one or more levels (N1 → N2 → N3), never back down: a level records
  how far the request had to go, and a lower level would hide from the requester and the
  agents that it needed a specialist (409). It can still be reassigned at its level.
- ``closed`` is final: no message, no change (409); the requester opens a new ticket.
"""

import calendar
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal, Role
from kit.db import mark_erasure
from kit.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from kit.pagination import DEFAULT_LIMIT, Page
from support import repository
from support.models import LEVELS, PartnerRequest, Ticket, TicketMessage, events, subject_data
from support.schemas import MessageCreate, PartnerApply, PartnerReview, TicketCreate, TicketUpdate


def utcnow() -> datetime:
    return datetime.now(UTC)


def is_agent(principal: Principal) -> bool:
    return Role.SUPPORT_AGENT in principal.roles


# -- tickets -----------------------------------------------------------------------------------


async def open_ticket(
    db: AsyncSession, *, principal: Principal, data: TicketCreate, now: datetime
) -> Ticket:
    """A new ticket, ``open`` at ``N1``, with its first message."""
    ticket = Ticket(
        tenant_id=principal.tenant_id,
        requester_id=principal.user_id,
        subject=data.subject,
        status="open",
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
            author_role="requester",
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
    status: str | None = None,
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
    if ticket.status == "closed":
        raise Conflict("this ticket is closed: open a new one")
    by_requester = ticket.requester_id == principal.user_id
    message = TicketMessage(
        ticket_id=ticket.id,
        tenant_id=ticket.tenant_id,
        requester_id=ticket.requester_id,
        author_role="requester" if by_requester else "agent",
        author_id=principal.user_id,
        body=data.body,
        created_at=now,
    )
    db.add(message)
    if by_requester and ticket.status in ("pending", "resolved"):
        ticket.status = "open"
    ticket.updated_at = now
    await db.flush()
    return message


def next_level(current: str, wanted: str) -> str:
    """Up one or more levels, or the same; never down (409)."""
    if LEVELS.index(wanted) < LEVELS.index(current):
        raise Conflict("a ticket is escalated, never de-escalated")
    return wanted


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
    if ticket.status == "closed":
        raise Conflict("this ticket is closed: open a new one")
    if "level" in changes:
        ticket.level = next_level(ticket.level, str(changes["level"]))
    if "assignee_id" in changes:
        assignee = changes["assignee_id"]
        ticket.assignee_id = None if assignee is None else str(assignee)
    if "status" in changes:
        ticket.status = str(changes["status"])
        if ticket.status == "closed":
            ticket.closed_at = now
    ticket.updated_at = now
    await db.flush()
    return ticket


# -- partner listing requests ------------------------------------------------------------------


async def known_tenant(peers: httpx.AsyncClient, identity_url: str, slug: str) -> str:
    """The tenant's slug as identity knows it (public route); 404 when there is none."""
    try:
        response = await peers.get(f"{identity_url}/api/auth/tenants/{slug.lower()}")
    except httpx.TransportError as exc:
        raise Unavailable("the platform cannot check the company right now") from exc
    if response.status_code == 404:
        raise NotFound("no company of that name on the platform")
    if response.status_code != 200:
        raise Unavailable("the platform cannot check the company right now")
    return str(response.json()["slug"])


async def apply_for_listing(
    db: AsyncSession, *, data: PartnerApply, tenant_slug: str, now: datetime
) -> PartnerRequest:
    request = PartnerRequest(
        tenant_slug=tenant_slug,
        company=data.company,
        contact_name=data.contact_name,
        contact_email=data.contact_email,
        contact_phone=data.contact_phone,
        message=data.message,
        status="received",
        received_at=now,
        last_contact_at=now,
    )
    db.add(request)
    await db.flush()
    return request


async def partner_requests(
    db: AsyncSession, *, principal: Principal, cursor: str | None, limit: int
) -> Page[PartnerRequest]:
    """The requests addressed to the caller's tenant (by its slug, from the verified token),
    the newest first, one page."""
    return await repository.partner_requests_page(
        db, tenant_slug=principal.tenant, cursor=cursor, limit=limit
    )


async def partner_request(
    db: AsyncSession, *, principal: Principal, request_id: str
) -> PartnerRequest:
    found = await repository.partner_request_in_tenant(
        db, tenant_slug=principal.tenant, request_id=request_id
    )
    if found is None:
        raise NotFound("partner request not found")
    return found


async def review_partner_request(
    db: AsyncSession, *, principal: Principal, request_id: str, data: PartnerReview, now: datetime
) -> PartnerRequest:
    """An agent's decision or contact: the three years start again from now."""
    found = await partner_request(db, principal=principal, request_id=request_id)
    found.status = data.status
    if data.note is not None:
        found.note = data.note
    found.last_contact_at = now
    await db.flush()
    return found


async def delete_partner_request(
    db: AsyncSession, *, principal: Principal, request_id: str
) -> None:
    """The DPO erases a contact person's request (they have no account to file one); the
    transaction is an erasure (``kit.db.mark_erasure``: nothing stays in SQLite's files)."""
    mark_erasure(db)
    await db.delete(await partner_request(db, principal=principal, request_id=request_id))


# -- retention ---------------------------------------------------------------------------------


def years_before(moment: datetime, years: int) -> datetime:
    """The latest start whose ``years``-th anniversary is at or before ``moment``, counted as
    ``kit.privacy.declarations.Retention`` does (29 February + 1 year is 28 February)."""
    year = moment.year - years
    if (moment.month, moment.day) == (2, 29) and not calendar.isleap(year):
        # Every moment of that 28 February had its anniversary yesterday.
        midnight = moment.replace(year=year, month=3, day=1, hour=0, minute=0, second=0)
        return midnight.replace(microsecond=0) - timedelta(microseconds=1)
    start = moment.replace(year=year)
    if (
        (moment.month, moment.day) == (2, 28)
        and not calendar.isleap(moment.year)
        and calendar.isleap(year)
    ):
        start = start.replace(day=29)  # 29 February's anniversary is this 28 February
    return start


async def purge_tickets(
    db: AsyncSession, *, now: datetime, retention_days: int, close_after_days: int
) -> int:
    """Close the tickets left resolved too long, then delete those closed ``retention_days``
    ago or more (on the day, not a day before), with their messages."""
    closed = await repository.close_idle_resolved(
        db, idle_since=now - timedelta(days=close_after_days), now=now
    )
    deleted = await repository.delete_closed_tickets(
        db, closed_before=now - timedelta(days=retention_days)
    )
    return closed + deleted


async def purge_partner_contacts(db: AsyncSession, *, now: datetime, years: int) -> int:
    """Delete the partner requests whose last contact is ``years`` old (prospects rule)."""
    return await repository.delete_partner_requests(
        db, last_contact_before=years_before(now, years)
    )


async def forget_agent(
    db: AsyncSession, subject: str, _payload: dict[str, Any], _now: datetime
) -> dict[str, Any]:
    """Erasure hook: an erased agent's id leaves the others' tickets (their answers stay, as
    the requester's conversation, signed ``agent``)."""
    return {"agent_references_blanked": await repository.blank_agent(db, agent_id=subject)}
