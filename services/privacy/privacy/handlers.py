"""What the privacy service does with events: answers to its commands, the data map, the audit
trail, the services' declarations, and the erasure of accounts identity closed.

Each handler takes the worker's context first; ``subscription(ctx)`` binds them to it.
"""

from collections.abc import Awaitable, Callable
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.events import Envelope, Subscription
from kit.privacy.audit import AUDIT, AUDIT_KEY
from kit.privacy.declarations import DECLARATIONS_KEY, DECLARATIONS_PUBLISHED
from kit.privacy.protocol import (
    ACCOUNT_INACTIVE,
    ACCOUNT_INACTIVE_KEY,
    ACCOUNT_REMOVED,
    ACCOUNT_REMOVED_KEY,
    ANSWER_KEY,
    ANSWERED,
    DATA_MAP_KEY,
    PERSONAL_DATA_RECORDED,
    TENANT_CLOSED,
    TENANT_CLOSED_KEY,
)
from kit.security import security_event
from privacy.audit import service as audit
from privacy.closures import service as closures
from privacy.context import Context
from privacy.datamap import service as datamap
from privacy.register import repository as register
from privacy.requests import commands, service

QUEUE = "privacy.events"
BINDINGS = [
    ANSWER_KEY,
    DATA_MAP_KEY,
    ACCOUNT_INACTIVE_KEY,
    ACCOUNT_REMOVED_KEY,
    AUDIT_KEY,
    DECLARATIONS_KEY,
    TENANT_CLOSED_KEY,
]


#: The security event of a service speaking for another (``kit.security``).
IMPERSONATION = "broker.impersonation"


def speaks_for_itself(envelope: Envelope) -> bool:
    """A service answers, maps and audits for itself alone: the service a payload names must be
    the one that published it (``envelope.source``, checked against its broker account by the
    consumer). Otherwise: a security event, and no effect."""
    if envelope.payload.get("service") == envelope.source:
        return True
    security_event(
        IMPERSONATION,
        service="privacy",
        event_type=envelope.type,
        event_id=envelope.id,
        claimed_source=envelope.source,
        named_service=str(envelope.payload.get("service"))[:40],
    )
    return False


async def on_answer(ctx: Context, db: AsyncSession, envelope: Envelope) -> None:
    if speaks_for_itself(envelope):
        await commands.record_answer(db, ctx, envelope, utcnow())


async def on_personal_data(ctx: Context, db: AsyncSession, envelope: Envelope) -> None:
    if speaks_for_itself(envelope):
        await datamap.record(db, envelope, utcnow())


async def on_audit(ctx: Context, db: AsyncSession, envelope: Envelope) -> None:
    if speaks_for_itself(envelope):
        await audit.record(db, envelope)


def _from_account_service(ctx: Context, envelope: Envelope) -> bool:
    """Only the service holding accounts closes them, and names whose and in which tenant."""
    return envelope.source == ctx.settings.account_service and bool(
        envelope.subject and envelope.tenant
    )


async def on_account_inactive(ctx: Context, db: AsyncSession, envelope: Envelope) -> None:
    if not _from_account_service(ctx, envelope):
        return
    assert envelope.tenant is not None and envelope.subject is not None
    await service.erase_closed_account(
        db, ctx, tenant_id=envelope.tenant, subject=envelope.subject, now=utcnow()
    )


async def on_account_removed(ctx: Context, db: AsyncSession, envelope: Envelope) -> None:
    """A tenant admin removed an account: the person's erasure, filed in the admin's name."""
    if not _from_account_service(ctx, envelope):
        return
    assert envelope.tenant is not None and envelope.subject is not None
    await service.erase_closed_account(
        db,
        ctx,
        tenant_id=envelope.tenant,
        subject=envelope.subject,
        now=utcnow(),
        filing=service.removed_by(str(envelope.payload.get("by", ""))[:36]),
    )


async def on_declarations(ctx: Context, db: AsyncSession, envelope: Envelope) -> None:
    """A service's declarations, published by its worker at start: the register's source. A
    service declares only itself."""
    name, inventory = envelope.source, envelope.payload.get("inventory")
    if not speaks_for_itself(envelope) or not isinstance(inventory, list):
        return
    await register.store_declarations(
        db, service=name, inventory=inventory, published_at=envelope.occurred_at
    )


async def on_tenant_closed(ctx: Context, db: AsyncSession, envelope: Envelope) -> None:
    """Identity closed a tenant the privacy service is closing: the export may start."""
    if envelope.source != ctx.settings.account_service or envelope.tenant is None:
        return
    accounts = envelope.payload.get("accounts")
    if isinstance(accounts, int):
        await closures.identity_closed(
            db, tenant_id=envelope.tenant, accounts=accounts, now=envelope.occurred_at
        )


HANDLERS: dict[str, Callable[[Context, AsyncSession, Envelope], Awaitable[None]]] = {
    ANSWERED: on_answer,
    PERSONAL_DATA_RECORDED: on_personal_data,
    ACCOUNT_INACTIVE: on_account_inactive,
    ACCOUNT_REMOVED: on_account_removed,
    AUDIT: on_audit,
    DECLARATIONS_PUBLISHED: on_declarations,
    TENANT_CLOSED: on_tenant_closed,
}


def subscription(ctx: Context | None) -> Subscription:
    """The worker's queue, its handlers bound to ``ctx``. Without a context (the broker's
    definitions, ``devstack.rabbitmq``, read only the queue and its routing keys), none."""
    handlers = {} if ctx is None else {kind: partial(h, ctx) for kind, h in HANDLERS.items()}
    return Subscription(QUEUE, handlers, BINDINGS)
