"""Tickets: ``/api/tickets``. An employee sees their own, a support agent the tenant's."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from kit.auth import CurrentUser, Principal, SupportAgent
from kit.db import SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from kit.privacy.audit import Auditor
from support.tickets import service
from support.tickets.models import Ticket, TicketMessage, TicketStatus
from support.tickets.schemas import (
    MessageCreate,
    MessagePublic,
    StatusValue,
    TicketCreate,
    TicketDetail,
    TicketPublic,
    TicketUpdate,
)

router = APIRouter(prefix="/api/tickets", tags=["tickets"])
Agent = SupportAgent


def public(ticket: Ticket, viewer: Principal) -> TicketPublic:
    return TicketPublic(
        id=ticket.id,
        subject=ticket.subject,
        status=ticket.status,
        level=ticket.level,
        requester_id=ticket.requester_id,
        assignee_id=ticket.assignee_id if service.is_agent(viewer) else None,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        closed_at=ticket.closed_at,
    )


def message_public(message: TicketMessage, viewer: Principal) -> MessagePublic:
    shown = service.is_agent(viewer) or message.author_id == viewer.user_id
    return MessagePublic(
        id=message.id,
        author_role=message.author_role,
        author_id=message.author_id if shown else None,
        body=message.body,
        created_at=message.created_at,
    )


async def detail(db: SessionDep, ticket: Ticket, viewer: Principal) -> TicketDetail:
    """The ticket and the first page of its conversation; ``messages_next_cursor`` says when
    more follow (``GET /api/tickets/{id}/messages``)."""
    found = await service.messages(db, ticket)
    return TicketDetail(
        **public(ticket, viewer).model_dump(),
        messages=[message_public(m, viewer) for m in found.items],
        messages_next_cursor=found.next_cursor,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def open_ticket(body: TicketCreate, principal: CurrentUser, db: SessionDep) -> TicketDetail:
    ticket = await service.open_ticket(db, principal=principal, data=body, now=utcnow())
    return await detail(db, ticket, principal)


@router.get("", responses=PAGED_RESPONSES)
async def list_tickets(
    principal: CurrentUser,
    db: SessionDep,
    audit: Auditor,
    response: Response,
    status: Annotated[StatusValue | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[TicketPublic]:
    """Your tickets, or the tenant's for a support agent, the latest activity first; one page
    (``X-Next-Cursor`` holds the next one's cursor)."""
    page = await service.visible_tickets(
        db,
        principal=principal,
        status=None if status is None else TicketStatus(status),
        cursor=cursor,
        limit=limit,
    )
    await audit.read({t.requester_id for t in page.items}, "support requests")
    return page.map(lambda t: public(t, principal)).send(response)


@router.get("/{ticket_id}")
async def get_ticket(
    ticket_id: str, principal: CurrentUser, db: SessionDep, audit: Auditor
) -> TicketDetail:
    ticket = await service.visible_ticket(db, principal=principal, ticket_id=ticket_id)
    await audit.read([ticket.requester_id], "support conversation")
    return await detail(db, ticket, principal)


@router.get("/{ticket_id}/messages", responses=PAGED_RESPONSES)
async def list_messages(
    ticket_id: str,
    principal: CurrentUser,
    db: SessionDep,
    audit: Auditor,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[MessagePublic]:
    """The ticket's conversation, oldest first, for its requester or an agent of the tenant
    (404 otherwise); one page (``X-Next-Cursor`` holds the next one's cursor). The ticket's
    own page carries the first one."""
    ticket = await service.visible_ticket(db, principal=principal, ticket_id=ticket_id)
    page = await service.messages(db, ticket, cursor=cursor, limit=limit)
    await audit.read([ticket.requester_id], "support conversation")
    return page.map(lambda m: message_public(m, principal)).send(response)


@router.post("/{ticket_id}/messages", status_code=status.HTTP_201_CREATED)
async def add_message(
    ticket_id: str, body: MessageCreate, principal: CurrentUser, db: SessionDep, audit: Auditor
) -> MessagePublic:
    message = await service.add_message(
        db, principal=principal, ticket_id=ticket_id, data=body, now=utcnow()
    )
    await audit.change([message.requester_id], "support conversation")
    return message_public(message, principal)


@router.patch("/{ticket_id}")
async def update_ticket(
    ticket_id: str, body: TicketUpdate, agent: Agent, db: SessionDep, audit: Auditor
) -> TicketDetail:
    ticket = await service.update_ticket(
        db, principal=agent, ticket_id=ticket_id, data=body, now=utcnow()
    )
    await audit.change([ticket.requester_id], "support request")
    return await detail(db, ticket, agent)
