"""The tenant's yearly budget: set by its admins, never below what is already granted."""

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.errors import Conflict, NotFound
from subsidies.budgets import repository
from subsidies.budgets.models import Budget


async def budget_of(db: AsyncSession, *, principal: Principal, year: int) -> Budget:
    found = await repository.budget(db, tenant_id=principal.tenant_id, year=year)
    if found is None:
        raise NotFound("no budget for this year")
    return found


async def set_budget(
    db: AsyncSession, *, principal: Principal, year: int, amount_cents: int
) -> Budget:
    budget = await repository.budget(db, tenant_id=principal.tenant_id, year=year, for_update=True)
    if budget is None:
        budget = Budget(tenant_id=principal.tenant_id, year=year, reserved_cents=0)
        db.add(budget)
    elif amount_cents < budget.reserved_cents:
        raise Conflict("the budget cannot be less than what is already granted")
    budget.amount_cents = amount_cents
    await db.flush()
    return budget
