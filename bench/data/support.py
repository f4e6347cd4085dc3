"""The population in support: tickets with about three messages for one person in five (the
agent of their tenant answering), some closed long enough ago to be purged, and a few partner
listing requests per tenant from the public form, some past their retention."""

from typing import Any

from bench.data.bulk import Bulk
from bench.data.plan import DAY, Plan, uid
from support.config import get_settings
from support.models import PartnerRequest, Ticket, TicketMessage, subject_data

TICKET_COLUMNS = (
    "id", "tenant_id", "requester_id", "subject", "status", "level", "assignee_id",
    "created_at", "updated_at", "closed_at",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "id", "ticket_id", "tenant_id", "requester_id", "author_role", "author_id", "body",
    "created_at",
)  # fmt: skip
PARTNER_COLUMNS = (
    "id", "tenant_slug", "company", "contact_name", "contact_email", "contact_phone", "message",
    "status", "note", "received_at", "last_contact_at",
)  # fmt: skip
SUBJECTS = (
    "My cinema tickets did not arrive", "Question about my subsidy", "Change my delivery address",
    "Refund of a cancelled order", "How do I book the pottery class?", "Invoice needed",
)  # fmt: skip
PARTNERS_PER_TENANT = 6


async def write(
    plan: Plan, bulk: Bulk, chunks: list[tuple[int, int]], password: str | None
) -> None:
    subject_data.bind(get_settings())
    digest = subject_data._digest(subject_data.categories())
    partners = []
    for k, tenant in enumerate(plan.tenant_list):
        for n in range(PARTNERS_PER_TENANT):
            at = plan.now - DAY * (n * 300 + 10 + k)
            partners.append(
                (plan.named_id(f"partner:{tenant.slug}:{n}"), tenant.slug, f"Partner company {n}",
                 f"Contact {n}", f"contact-{plan.prefix}-{k}-{n}@partner.test", None,
                 "We would like to offer our services to your employees.",
                 ("received", "contacted", "accepted", "rejected")[n % 4], None, at, at + DAY)
            )  # fmt: skip
    await bulk.write(PartnerRequest.__table__, PARTNER_COLUMNS, partners)
    for start, stop in chunks:
        tickets: list[tuple[Any, ...]] = []
        messages: list[tuple[Any, ...]] = []
        marks = []
        for p in plan.people(start, stop):
            if not p.tickets:
                continue
            rng = p.rng
            agent = plan.staff_id(p.tenant, "agent")
            for t in p.tickets:
                status = "closed" if t.closed_at else "open"
                updated = t.closed_at or t.at + DAY * 0.1
                tickets.append(
                    (t.id, p.tenant.id, p.id, rng.choice(SUBJECTS), status, "N1", agent, t.at,
                     updated, t.closed_at)
                )  # fmt: skip
                for n in range(t.messages):
                    by_agent = n % 2 == 1
                    messages.append(
                        (uid(rng), t.id, p.tenant.id, p.id,
                         "agent" if by_agent else "requester", agent if by_agent else p.id,
                         "Thank you, we are looking into it." if by_agent
                         else "Hello, could you help me with this, please?",
                         t.at + DAY * 0.05 * n)
                    )  # fmt: skip
            marks.append((p.id, digest, p.tickets[0].at))
        await bulk.write(Ticket.__table__, TICKET_COLUMNS, tickets)
        await bulk.write(TicketMessage.__table__, MESSAGE_COLUMNS, messages)
        await bulk.write(subject_data.announced, ("subject", "categories", "at"), marks)
