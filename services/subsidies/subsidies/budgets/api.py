"""What tenant admins run on the yearly budget: ``/api/subsidies/budget``."""

from typing import Annotated

from fastapi import APIRouter, Query

from kit.auth import TenantAdmin
from kit.db import SessionDep, utcnow
from subsidies.budgets import service
from subsidies.budgets.schemas import BudgetIn, BudgetPublic

router = APIRouter(prefix="/api/subsidies", tags=["administration"])


@router.get("/budget")
async def get_budget(
    admin: TenantAdmin, db: SessionDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> BudgetPublic:
    return BudgetPublic.of(await service.budget_of(db, principal=admin, year=year or utcnow().year))


@router.put("/budget")
async def put_budget(body: BudgetIn, admin: TenantAdmin, db: SessionDep) -> BudgetPublic:
    return BudgetPublic.of(
        await service.set_budget(
            db, principal=admin, year=body.year, amount_cents=body.amount_cents
        )
    )
