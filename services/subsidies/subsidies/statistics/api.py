"""Anonymous statistics for tenant admins: ``/api/subsidies/stats``."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from kit.auth import TenantAdmin
from kit.db import SessionDep, utcnow
from subsidies.context import ContextDep
from subsidies.statistics import service
from subsidies.statistics.schemas import GroupBy, Statistics

router = APIRouter(prefix="/api/subsidies", tags=["administration"])


@router.get("/stats")
async def statistics(
    context: ContextDep,
    admin: TenantAdmin,
    db: SessionDep,
    by: Literal["kind", "children"] = "kind",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Statistics:
    """Uses per offer kind or per children bracket; no group of fewer than k people shows."""
    k = context.settings.k_anonymity
    chosen = year or utcnow().year
    cells, merged = await service.statistics(db, principal=admin, by=GroupBy(by), year=chosen, k=k)
    return Statistics(by=GroupBy(by), year=chosen, k=k, cells=cells, merged_groups=merged)
