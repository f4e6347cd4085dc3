"""What the privacy service does with events: answers to its commands, the data map, and the
erasure of accounts identity closed for inactivity."""

from sqlalchemy.ext.asyncio import AsyncSession

from kit.events import Envelope
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
)
from kit.security import security_event
from kit.worker import Subscription
from privacy import register, service
from privacy.config import get_settings

_ctx: service.Privacy | None = None


def context() -> service.Privacy:
    global _ctx  # noqa: PLW0603 (one per worker process, made on first use)
    if _ctx is None:
        _ctx = service.Privacy.load(get_settings())
    return _ctx


def speaks_for_itself(envelope: Envelope) -> bool:
    """A service answers, maps and audits for itself alone: the service a payload names must be
    the one that published it (``envelope.source``, checked against its broker account by the
    consumer). Otherwise: a security event, and no effect."""
    if envelope.payload.get("service") == envelope.source:
        return True
    security_event(
        "broker.impersonation",
        service="privacy",
        event_type=envelope.type,
        event_id=envelope.id,
        claimed_source=envelope.source,
        named_service=str(envelope.payload.get("service"))[:40],
    )
    return False


async def on_answer(db: AsyncSession, envelope: Envelope) -> None:
    if speaks_for_itself(envelope):
        await service.record_answer(db, context(), envelope, service.utcnow())


async def on_personal_data(db: AsyncSession, envelope: Envelope) -> None:
    if speaks_for_itself(envelope):
        await service.record_data_map(db, envelope, service.utcnow())


async def on_audit(db: AsyncSession, envelope: Envelope) -> None:
    if speaks_for_itself(envelope):
        await service.record_audit(db, envelope)


async def on_account_inactive(db: AsyncSession, envelope: Envelope) -> None:
    if envelope.source != get_settings().account_service or not (
        envelope.subject and envelope.tenant
    ):
        return  # only the service holding accounts closes them
    await service.erase_closed_account(
        db, context(), tenant_id=envelope.tenant, subject=envelope.subject, now=service.utcnow()
    )


async def on_account_removed(db: AsyncSession, envelope: Envelope) -> None:
    """A tenant admin removed an account: the person's erasure, filed in the admin's name."""
    if envelope.source != get_settings().account_service or not (
        envelope.subject and envelope.tenant
    ):
        return  # only the service holding accounts closes them
    await service.erase_closed_account(
        db,
        context(),
        tenant_id=envelope.tenant,
        subject=envelope.subject,
        now=service.utcnow(),
        filing=service.removed_by(str(envelope.payload.get("by", ""))[:36]),
    )


async def on_declarations(db: AsyncSession, envelope: Envelope) -> None:
    """A service's declarations, published by its worker at start: the register's source. A
    service declares only itself."""
    name, inventory = envelope.source, envelope.payload.get("inventory")
    if not speaks_for_itself(envelope) or not isinstance(inventory, list):
        return
    await register.store_declarations(
        db, service=name, inventory=inventory, published_at=envelope.occurred_at
    )


subscription = Subscription(
    "privacy.events",
    {
        ANSWERED: on_answer,
        PERSONAL_DATA_RECORDED: on_personal_data,
        ACCOUNT_INACTIVE: on_account_inactive,
        ACCOUNT_REMOVED: on_account_removed,
        AUDIT: on_audit,
        DECLARATIONS_PUBLISHED: on_declarations,
    },
    [
        ANSWER_KEY,
        DATA_MAP_KEY,
        ACCOUNT_INACTIVE_KEY,
        ACCOUNT_REMOVED_KEY,
        AUDIT_KEY,
        DECLARATIONS_KEY,
    ],
)
