"""Queries of the clients' contracts and sub-processor notices."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from privacy.clients.models import ClientContract, SubprocessorNotice
from privacy.datamap.models import DataMapEntry
from privacy.processors.models import Processor


async def contract_of(db: AsyncSession, tenant_id: str) -> ClientContract | None:
    return await db.get(ClientContract, tenant_id)


async def known_tenants(db: AsyncSession) -> list[str]:
    """Every client the platform processes for: those with a contract, and those whose people
    are in the data map (a tenant made before contracts were recorded)."""
    with_contract = await db.scalars(select(ClientContract.tenant_id))
    mapped = await db.scalars(select(DataMapEntry.tenant_id).distinct())
    return sorted({*with_contract, *mapped})


async def notices_of(db: AsyncSession, tenant_id: str) -> dict[str, SubprocessorNotice]:
    """The tenant's notices, by processor id."""
    found = await db.scalars(
        select(SubprocessorNotice).where(SubprocessorNotice.tenant_id == tenant_id)
    )
    return {n.processor_id: n for n in found}


async def notice(
    db: AsyncSession, *, tenant_id: str, processor_id: str
) -> SubprocessorNotice | None:
    return await db.get(SubprocessorNotice, (tenant_id, processor_id), with_for_update=True)


async def platform_processors(db: AsyncSession) -> Sequence[Processor]:
    """The platform's own processors: the clients' sub-processors, as they were added."""
    found = await db.scalars(
        select(Processor)
        .where(Processor.tenant_id.is_(None))
        .order_by(Processor.created_at, Processor.id)
    )
    return found.all()
