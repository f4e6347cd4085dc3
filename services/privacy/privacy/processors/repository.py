"""Queries of the processors."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from privacy.processors.models import Processor

#: The list's order: as they were added (the defaults first, in their order).
IN_ORDER = Keyset[Processor](
    "processors",
    (By(Processor.created_at, datetime), By(Processor.id, str)),
    key=lambda p: (p.created_at, p.id),
)


def _visible(tenant_id: str) -> ColumnElement[bool]:
    """The platform's entries and the tenant's own: never another tenant's."""
    return or_(Processor.tenant_id.is_(None), Processor.tenant_id == tenant_id)


async def page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[Processor]:
    """The platform's processors and the tenant's own, as they were added."""
    query = select(Processor).where(_visible(tenant_id))
    return await fetch(db, [Part(query, IN_ORDER)], cursor=cursor, limit=limit)


async def of_register(db: AsyncSession, *, tenant_id: str) -> Sequence[Processor]:
    """Every processor the tenant's register lists: the platform's and the tenant's own."""
    found = await db.scalars(
        select(Processor).where(_visible(tenant_id)).order_by(*IN_ORDER.order_by())
    )
    return found.all()


async def visible(db: AsyncSession, *, tenant_id: str, processor_id: str) -> Processor | None:
    """One processor the tenant sees, locked."""
    return await db.scalar(
        select(Processor).where(Processor.id == processor_id, _visible(tenant_id)).with_for_update()
    )
