"""The audit trail (PR10): who read or changed whose data, when, and through which route.

A route that serves someone's data to somebody else (a tenant admin, a support agent, the
DPO, a platform admin) takes the ``Auditor`` dependency and says whose data it served:

    async def list_orders(..., audit: Auditor) -> ...:
        await audit.read({o.user_id for o in found}, "orders")

The record goes, in the route's own transaction, through the outbox to the privacy service,
which keeps the trail (its own retention), shows each person who accessed their data, and puts
it in their export. A record holds ids, a category and a route: nothing else about anyone.
Reading one's own data is not recorded.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import CurrentUser, Principal
from kit.db import SessionDep
from kit.events import EventStore

AUDIT = "audit.recorded"
#: Addressed to the privacy service, published mandatory: waits in the outbox if need be.
AUDIT_KEY = f"{AUDIT}.privacy"


async def record(
    session: AsyncSession,
    events: EventStore,
    *,
    principal: Principal,
    subjects: Iterable[str],
    action: Literal["read", "change"],
    what: str,
    route: str,
) -> int:
    """Record an access to the data of ``subjects`` by ``principal``; returns how many people
    it was about (the principal's own data is left out)."""
    others = sorted({s for s in subjects if s and s != principal.user_id})
    if not others:
        return 0
    await events.add(
        session,
        AUDIT,
        tenant=principal.tenant_id,
        payload={
            "actor": principal.user_id,
            "actor_roles": sorted(principal.roles),
            "subjects": others,
            "action": action,
            "what": what,
            "service": events.source,
            "route": route,
            "at": datetime.now(UTC).isoformat(),
        },
        routing_key=AUDIT_KEY,
    )
    return len(others)


class Audit:
    """The current request's auditor: its principal, transaction and route template."""

    def __init__(
        self, session: AsyncSession, events: EventStore, principal: Principal, route: str
    ) -> None:
        self.session, self.events, self.principal, self.route = session, events, principal, route

    async def read(self, subjects: Iterable[str], what: str) -> int:
        return await self._record(subjects, "read", what)

    async def change(self, subjects: Iterable[str], what: str) -> int:
        return await self._record(subjects, "change", what)

    async def _record(
        self, subjects: Iterable[str], action: Literal["read", "change"], what: str
    ) -> int:
        return await record(
            self.session,
            self.events,
            principal=self.principal,
            subjects=subjects,
            action=action,
            what=what,
            route=self.route,
        )


async def _auditor(request: Request, principal: CurrentUser, session: SessionDep) -> Audit:
    """Async, as every dependency of kit: FastAPI runs a plain ``def`` in its thread pool, a
    hand-off to a thread and back on every request (docs/performance.md)."""
    route = request.scope.get("route")
    template = f"{request.method} {getattr(route, 'path', request.url.path)}"
    return Audit(session, request.app.state.events, principal, template)


Auditor = Annotated[Audit, Depends(_auditor)]
