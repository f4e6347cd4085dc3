"""The treasurer's exports of the books: ``/api/accounting`` (tenant admins)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from kit.auth import TenantAdmin
from kit.db import SessionDep
from subsidies.accounting import fec, service
from subsidies.accounting.schemas import BudgetTotals, PeriodTotals
from subsidies.context import ContextDep

router = APIRouter(prefix="/api/accounting", tags=["administration"])

FEC_TYPE = "text/plain; charset=iso-8859-15"
CSV_TYPE = "text/csv; charset=utf-8"
FILE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {FEC_TYPE: {}, CSV_TYPE: {}}, "description": "the file"}
}


async def _file(
    context: ContextDep, admin: TenantAdmin, db: SessionDep, start: str, end: str, kind: str
) -> Response:
    first, last = service.period(start, end, max_days=context.settings.accounting_max_period_days)
    entries = await service.journal(db, tenant_id=admin.tenant_id, start=first, end=last)
    body, media = (fec.fec(entries), FEC_TYPE) if kind == "txt" else (fec.as_csv(entries), CSV_TYPE)
    name = fec.file_name(last, kind)
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/entries.fec", response_class=Response, responses=FILE_RESPONSES)
async def entries_fec(
    context: ContextDep,
    admin: TenantAdmin,
    db: SessionDep,
    start: Annotated[str, Query(alias="from", max_length=10)],
    end: Annotated[str, Query(alias="to", max_length=10)],
) -> Response:
    """The period's journal as a FEC (Livre des procédures fiscales art. A47 A-1): a header of
    the 18 columns, tab-separated, ISO 8859-15; debits equal credits."""
    return await _file(context, admin, db, start, end, "txt")


@router.get("/entries.csv", response_class=Response, responses=FILE_RESPONSES)
async def entries_csv(
    context: ContextDep,
    admin: TenantAdmin,
    db: SessionDep,
    start: Annotated[str, Query(alias="from", max_length=10)],
    end: Annotated[str, Query(alias="to", max_length=10)],
) -> Response:
    """The same journal as CSV (UTF-8, ISO dates, amounts with a decimal point, the budget)."""
    return await _file(context, admin, db, start, end, "csv")


@router.get("/totals")
async def totals(
    context: ContextDep,
    admin: TenantAdmin,
    db: SessionDep,
    start: Annotated[str, Query(alias="from", max_length=10)],
    end: Annotated[str, Query(alias="to", max_length=10)],
) -> PeriodTotals:
    """The period's debits and credits per budget (ASC, AEP) and in all."""
    first, last = service.period(start, end, max_days=context.settings.accounting_max_period_days)
    found = [
        BudgetTotals.of(t)
        for t in await service.totals(db, tenant_id=admin.tenant_id, start=first, end=last)
    ]
    debit = sum(t.debit_cents for t in found)
    credit = sum(t.credit_cents for t in found)
    return PeriodTotals(
        start=first,
        end=last,
        budgets=found,
        debit_cents=debit,
        credit_cents=credit,
        balanced=debit == credit,
    )
