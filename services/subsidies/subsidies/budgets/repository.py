"""The budgets' queries; all carry the tenant."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subsidies.budgets.models import Budget


async def budget(
    db: AsyncSession, *, tenant_id: str, year: int, for_update: bool = False
) -> Budget | None:
    query = select(Budget).where(Budget.tenant_id == tenant_id, Budget.year == year)
    if for_update:
        # A grant whose reservation found the budget taken meanwhile plans again under this
        # lock (grants.service.grant); read again, not from the session's identity map.
        query = query.with_for_update().execution_options(populate_existing=True)
    return await db.scalar(query)


async def reserve(db: AsyncSession, *, budget_id: str, amount: int) -> bool:
    """Add to the reserved amount unless that would pass the budget; False then."""
    result = await db.execute(
        update(Budget)
        .where(Budget.id == budget_id, Budget.reserved_cents + amount <= Budget.amount_cents)
        .values(reserved_cents=Budget.reserved_cents + amount)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def give_back(db: AsyncSession, *, tenant_id: str, year: int, amount: int) -> None:
    await db.execute(
        update(Budget)
        .where(Budget.tenant_id == tenant_id, Budget.year == year)
        .values(reserved_cents=Budget.reserved_cents - amount)
    )
