"""Queries of the data map."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from privacy.datamap.models import DataMapEntry


async def services_holding(db: AsyncSession, subject: str) -> list[str]:
    return list(
        (
            await db.scalars(select(DataMapEntry.service).where(DataMapEntry.subject == subject))
        ).all()
    )


async def entry(db: AsyncSession, *, subject: str, service: str) -> DataMapEntry | None:
    return await db.get(DataMapEntry, (subject, service))


async def categories_in(
    db: AsyncSession, *, tenant_id: str, services: Sequence[str], mapped_by: datetime | None
) -> Sequence[tuple[str, list[str] | None]]:
    """(person, categories) of every entry of the tenant in ``services``, mapped by
    ``mapped_by`` when given (``updated_at``, the only date the map keeps)."""
    query = select(DataMapEntry.subject, DataMapEntry.categories).where(
        DataMapEntry.tenant_id == tenant_id, DataMapEntry.service.in_(services)
    )
    if mapped_by is not None:
        query = query.where(DataMapEntry.updated_at <= mapped_by)
    rows: Sequence[Any] = (await db.execute(query)).all()
    return [(subject, categories) for subject, categories in rows]


async def forget(db: AsyncSession, subject: str) -> None:
    await db.execute(delete(DataMapEntry).where(DataMapEntry.subject == subject))
