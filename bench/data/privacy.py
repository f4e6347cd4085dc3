"""The population in privacy: the data map as the services announced it, consents with their
history, the audit trail of staff reading people's data (some past its retention), and earlier
access and portability requests, answered, with their per-service tasks."""

from typing import Any

from bench.data.bulk import Bulk, as_json
from bench.data.plan import DAY, Plan, uid
from identity.models import subject_data as identity_data
from orders.models import subject_data as orders_data
from privacy.audit.models import AuditEntry
from privacy.config import get_settings
from privacy.models import Consent, ConsentEvent, DataMapEntry, Request, Task, subject_data
from subsidies.models import subject_data as subsidies_data
from support.models import subject_data as support_data

#: Each service's categories, as its data-map announcements carry them.
CATEGORIES = {
    "identity": as_json(identity_data.categories()),
    "orders": as_json(orders_data.categories()),
    "subsidies": as_json(subsidies_data.categories()),
    "support": as_json(support_data.categories()),
}
#: What staff read, by which service and route.
READS = {
    "orders": ("orders", "/api/orders/admin", "tenant_admin"),
    "tickets": ("support", "/api/tickets/{ticket_id}", "support_agent"),
    "profile": ("subsidies", "/api/profiles/{user_id}", "tenant_admin"),
}
ROLES = {role: as_json([role]) for _, _, role in READS.values()}
REQUEST_COLUMNS = (
    "id", "tenant_id", "subject", "type", "status", "channel", "received_at", "due_at",
    "completed_at", "report",
)  # fmt: skip
TASK_COLUMNS = (
    "id", "request_id", "service", "action", "phase", "status", "attempts", "sent_at",
    "answered_at", "result",
)  # fmt: skip
AUDIT_COLUMNS = (
    "id", "tenant_id", "subject", "actor_id", "actor_roles", "service", "action", "what",
    "route", "at",
)  # fmt: skip
CONSENT_COLUMNS = ("subject", "purpose", "tenant_id", "granted", "notice_version", "channel", "at")
ONE_ROW = as_json({"rows": 1})
EVENT_COLUMNS = (
    "id", "subject", "tenant_id", "purpose", "granted", "notice_version", "channel", "at",
)  # fmt: skip


async def write(
    plan: Plan, bulk: Bulk, chunks: list[tuple[int, int]], password: str | None
) -> None:
    settings = get_settings()
    subject_data.bind(settings)
    participants = list(settings.participants)
    report = as_json({s: {"rows": 1} for s in participants})
    for start, stop in chunks:
        datamap: list[tuple[Any, ...]] = []
        consents: list[tuple[Any, ...]] = []
        history: list[tuple[Any, ...]] = []
        audit: list[tuple[Any, ...]] = []
        requests: list[tuple[Any, ...]] = []
        tasks: list[tuple[Any, ...]] = []
        for p in plan.people(start, stop):
            rng = p.rng
            for service in p.services:
                datamap.append((p.id, service, p.tenant.id, CATEGORIES[service], p.joined))
            for purpose, events in p.consents:
                for granted, at in events:
                    history.append(
                        (uid(rng), p.id, p.tenant.id, purpose, granted, "2026-01", "web", at)
                    )
                granted, at = events[-1]
                consents.append((p.id, purpose, p.tenant.id, granted, "2026-01", "web", at))
            for what, at in p.reads:
                service, route, role = READS[what]
                actor = plan.staff_id(p.tenant, "agent" if role == "support_agent" else "admin")
                audit.append(
                    (
                        uid(rng),
                        p.tenant.id,
                        p.id,
                        actor,
                        ROLES[role],
                        service,
                        "read",
                        what,
                        route,
                        at,
                    )
                )
            for kind, at in p.requests:
                request_id = uid(rng)
                done = at + DAY * 0.001
                action = "export" if kind == "access" else kind
                requests.append(
                    (request_id, p.tenant.id, p.id, kind, "completed", "self-service", at,
                     at + DAY * 30, done, report)
                )  # fmt: skip
                for service in participants:
                    tasks.append(
                        (uid(rng), request_id, service, action, 1, "done", 1, at, done, ONE_ROW)
                    )  # fmt: skip
        await bulk.write(
            DataMapEntry.__table__,
            ("subject", "service", "tenant_id", "categories", "updated_at"),
            datamap,
        )
        await bulk.write(Consent.__table__, CONSENT_COLUMNS, consents)
        await bulk.write(ConsentEvent.__table__, EVENT_COLUMNS, history)
        await bulk.write(AuditEntry.__table__, AUDIT_COLUMNS, audit)
        await bulk.write(Request.__table__, REQUEST_COLUMNS, requests)
        await bulk.write(Task.__table__, TASK_COLUMNS, tasks)
