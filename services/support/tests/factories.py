"""Test data of the support service: people, tickets, messages and partner requests.

Plain functions with sensible defaults; a test overrides what it is about. ``make_*_row``
build rows for a bulk insert (many at once, dates chosen by the test); the others go through
the services, as the routes do.
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import INTERNAL_TOKEN_HEADER, Principal, Role
from kit.clients import IdentityClient
from kit.errors import NotFound
from support.partners.models import PartnerRequestStatus
from support.partners.schemas import PartnerApply
from support.tickets import service as tickets
from support.tickets.models import AuthorRole, Level, Ticket, TicketStatus
from support.tickets.schemas import TicketCreate, TicketUpdate


def make_principal(
    user_id: str = "u-alice", *roles: Role, tenant: str = "demo", session_id: str = "s"
) -> Principal:
    """Someone of tenant ``tenant`` (id ``t-<tenant>``), an employee unless ``roles`` say."""
    return Principal(
        user_id=user_id,
        tenant_id=f"t-{tenant}",
        tenant=tenant,
        roles=frozenset(r.value for r in roles or (Role.EMPLOYEE,)),
        session_id=session_id,
    )


ALICE = make_principal("u-alice")
BOB = make_principal("u-bob")
AGENT = make_principal("u-agent", Role.SUPPORT_AGENT, Role.EMPLOYEE)
#: A support agent of the other tenant.
CAROL_AGENT = make_principal("u-carol", Role.SUPPORT_AGENT, tenant="other")
ADMIN = make_principal("u-admin", Role.TENANT_ADMIN)
DPO = make_principal("u-dpo", Role.DPO)
#: The people of the in-process app tests, by the token that stands for them (BadgeVerifier).
PEOPLE = {"alice": ALICE, "bob": BOB, "agent": AGENT, "dpo": DPO, "carol": CAROL_AGENT}


def as_(who: str) -> dict[str, str]:
    """The headers of a request by ``who`` of ``PEOPLE`` (as the gateway forwards it)."""
    return {INTERNAL_TOKEN_HEADER: who}


async def make_ticket(
    db: AsyncSession,
    *,
    now: datetime,
    by: Principal = ALICE,
    subject: str = "VPN",
    message: str = "It does not connect",
) -> Ticket:
    """A ticket opened by ``by``, with its first message."""
    data = TicketCreate(subject=subject, message=message)
    return await tickets.open_ticket(db, principal=by, data=data, now=now)


async def change_ticket(
    db: AsyncSession, ticket_id: str, *, now: datetime, by: Principal = AGENT, **changes: object
) -> Ticket:
    """An agent's ``PATCH`` of the ticket (status, level, assignee)."""
    data = TicketUpdate.model_validate(changes)
    return await tickets.update_ticket(db, principal=by, ticket_id=ticket_id, data=data, now=now)


def partner_form(**overrides: Any) -> dict[str, Any]:
    """The public partner form as the browser sends it."""
    return {
        "tenant": "demo",
        "company": "Cinema Lumiere",
        "contact_name": "Paul Partner",
        "contact_email": "paul@cinema.example",
        "contact_phone": "+33 1 23 45 67 89",
        "message": "We would like to offer discounted tickets.",
    } | overrides


class KnownTenants(IdentityClient):
    """Identity as the public form sees it: the companies ``demo`` and ``other``."""

    def __init__(self) -> None:  # no pool, no URL: nothing is called
        """Nothing to set up."""

    async def tenant_slug(self, slug: str) -> str:
        if slug.lower() not in ("demo", "other"):
            raise NotFound("no company of that name on the platform")
        return slug.lower()


def make_partner_apply(**overrides: Any) -> PartnerApply:
    return PartnerApply.model_validate(partner_form(**overrides))


def make_ticket_row(
    tenant_id: str, requester_id: str, *, updated_at: datetime, **overrides: Any
) -> dict[str, Any]:
    """A ticket row, open at N1, created long before ``updated_at``."""
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "requester_id": requester_id,
        "subject": "Question",
        "status": TicketStatus.OPEN,
        "level": Level.N1,
        "created_at": updated_at - timedelta(days=30),
        "updated_at": updated_at,
    } | overrides


def make_message_row(
    ticket: dict[str, Any], *, created_at: datetime, by_agent: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """A message row of ``ticket``: the requester's, or the agent ``by_agent``'s."""
    return {
        "id": str(uuid.uuid4()),
        "ticket_id": ticket["id"],
        "tenant_id": ticket["tenant_id"],
        "requester_id": ticket["requester_id"],
        "author_role": AuthorRole.AGENT if by_agent else AuthorRole.REQUESTER,
        "author_id": by_agent or ticket["requester_id"],
        "body": "Message",
        "created_at": created_at,
    } | overrides


def make_partner_row(
    tenant_slug: str, *, received_at: datetime, **overrides: Any
) -> dict[str, Any]:
    """A partner request row, received (and last contacted) at ``received_at``."""
    return {
        "id": str(uuid.uuid4()),
        "tenant_slug": tenant_slug,
        "company": "Company",
        "contact_name": "Max",
        "contact_email": "max@company.example",
        "message": "Please list us.",
        "status": PartnerRequestStatus.RECEIVED,
        "received_at": received_at,
        "last_contact_at": received_at,
    } | overrides
