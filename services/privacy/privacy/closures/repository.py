"""Queries of tenants' closures and their people."""

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from privacy.closures.models import ClosurePerson, ClosureStatus, TenantClosure
from privacy.datamap.models import DataMapEntry
from privacy.requests.models import Request


async def closure_of(
    db: AsyncSession, tenant_id: str, *, lock: bool = False
) -> TenantClosure | None:
    return await db.get(TenantClosure, tenant_id, with_for_update=lock)


async def open_closures(db: AsyncSession) -> list[str]:
    found = await db.scalars(
        select(TenantClosure.tenant_id).where(TenantClosure.status != ClosureStatus.COMPLETED)
    )
    return list(found)


async def closures_with_archives(db: AsyncSession) -> Sequence[TenantClosure]:
    found = await db.scalars(select(TenantClosure).where(TenantClosure.archive_file.is_not(None)))
    return found.all()


async def people_of(db: AsyncSession, tenant_id: str) -> Sequence[ClosurePerson]:
    found = await db.scalars(
        select(ClosurePerson).where(ClosurePerson.tenant_id == tenant_id).order_by(ClosurePerson.id)
    )
    return found.all()


async def mapped_subjects(db: AsyncSession, tenant_id: str) -> list[str]:
    """Everyone the data map knows in the tenant (a person per account id)."""
    found = await db.scalars(
        select(DataMapEntry.subject).where(DataMapEntry.tenant_id == tenant_id).distinct()
    )
    return sorted(found)


async def requests_by_id(db: AsyncSession, ids: Sequence[str]) -> dict[str, Request]:
    found: dict[str, Request] = {}
    for start in range(0, len(ids), 500):
        rows = await db.scalars(select(Request).where(Request.id.in_(ids[start : start + 500])))
        found |= {r.id: r for r in rows}
    return found


async def forget(db: AsyncSession, *, subject: str, key: str) -> None:
    """An erased person's row keeps the keyed hash only."""
    await db.execute(
        update(ClosurePerson)
        .where(ClosurePerson.subject == subject)
        .values(subject=None, subject_key=key)
        .execution_options(synchronize_session=False)
    )
