"""Every query of the support service. Those made for a user carry the tenant (the id, or the
slug for partner requests); the retention jobs and the erasure hook work across tenants."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from support.models import PartnerRequest, Ticket, TicketMessage

LIMIT = 500


async def tickets_of(
    db: AsyncSession, *, tenant_id: str, requester_id: str | None, status: str | None = None
) -> Sequence[Ticket]:
    query = select(Ticket).where(Ticket.tenant_id == tenant_id)
    if requester_id is not None:
        query = query.where(Ticket.requester_id == requester_id)
    if status is not None:
        query = query.where(Ticket.status == status)
    return (await db.scalars(query.order_by(Ticket.updated_at.desc()).limit(LIMIT))).all()


async def ticket_in_tenant(
    db: AsyncSession, *, tenant_id: str, ticket_id: str, for_update: bool = False
) -> Ticket | None:
    query = select(Ticket).where(Ticket.id == ticket_id, Ticket.tenant_id == tenant_id)
    if for_update:
        query = query.with_for_update()
    return await db.scalar(query)


async def messages_of(
    db: AsyncSession, *, tenant_id: str, ticket_id: str
) -> Sequence[TicketMessage]:
    query = select(TicketMessage).where(
        TicketMessage.ticket_id == ticket_id, TicketMessage.tenant_id == tenant_id
    )
    return (await db.scalars(query.order_by(TicketMessage.created_at, TicketMessage.id))).all()


async def partner_requests_of(db: AsyncSession, *, tenant_slug: str) -> Sequence[PartnerRequest]:
    query = select(PartnerRequest).where(PartnerRequest.tenant_slug == tenant_slug)
    return (await db.scalars(query.order_by(PartnerRequest.received_at.desc()).limit(LIMIT))).all()


async def partner_request_in_tenant(
    db: AsyncSession, *, tenant_slug: str, request_id: str
) -> PartnerRequest | None:
    return await db.scalar(
        select(PartnerRequest).where(
            PartnerRequest.id == request_id, PartnerRequest.tenant_slug == tenant_slug
        )
    )


# -- retention (every tenant) ------------------------------------------------------------------


async def close_idle_resolved(db: AsyncSession, *, idle_since: datetime, now: datetime) -> int:
    """Close the tickets left ``resolved`` with no activity since ``idle_since``."""
    result = await db.execute(
        update(Ticket)
        .where(Ticket.status == "resolved", Ticket.updated_at <= idle_since)
        .values(status="closed", closed_at=now, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_closed_tickets(db: AsyncSession, *, closed_before: datetime) -> int:
    """Delete the tickets closed at or before ``closed_before``, messages first."""
    due = select(Ticket.id).where(Ticket.status == "closed", Ticket.closed_at <= closed_before)
    await db.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(due)))
    result = await db.execute(
        delete(Ticket).where(Ticket.status == "closed", Ticket.closed_at <= closed_before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_partner_requests(db: AsyncSession, *, last_contact_before: datetime) -> int:
    result = await db.execute(
        delete(PartnerRequest).where(PartnerRequest.last_contact_at <= last_contact_before)
    )
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
