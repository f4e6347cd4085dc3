"""The treasurer's exports of the books: ``/api/accounting`` (tenant admins)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

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


def _period(
    context: ContextDep,
    start: Annotated[str, Query(alias="from", max_length=10, description="YYYY-MM-DD")],
    end: Annotated[str, Query(alias="to", max_length=10, description="YYYY-MM-DD")],
) -> tuple[date, date]:
    """The period asked for (``from`` and ``to``, both included): a clear 422 otherwise."""
    return service.period(start, end, max_days=context.settings.accounting_max_period_days)


Period = Annotated[tuple[date, date], Depends(_period)]


def _file(body: bytes, media: str, name: str) -> Response:
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/entries.fec", response_class=Response, responses=FILE_RESPONSES)
async def entries_fec(admin: TenantAdmin, db: SessionDep, period: Period) -> Response:
    """The period's journal as a FEC (Livre des procédures fiscales art. A47 A-1): a header of
    the 18 columns, tab-separated, ISO 8859-15; debits equal credits."""
    found = await service.journal(db, tenant_id=admin.tenant_id, start=period[0], end=period[1])
    return _file(fec.fec(found), FEC_TYPE, fec.file_name(period[1], "txt"))


@router.get("/entries.csv", response_class=Response, responses=FILE_RESPONSES)
async def entries_csv(admin: TenantAdmin, db: SessionDep, period: Period) -> Response:
    """The same journal as CSV (UTF-8, ISO dates, amounts with a decimal point, the budget)."""
    found = await service.journal(db, tenant_id=admin.tenant_id, start=period[0], end=period[1])
    return _file(fec.as_csv(found), CSV_TYPE, fec.file_name(period[1], "csv"))


@router.get("/totals")
async def totals(admin: TenantAdmin, db: SessionDep, period: Period) -> PeriodTotals:
    """The period's debits and credits per budget (ASC, AEP) and in all."""
    found = [
        BudgetTotals.of(t)
        for t in await service.totals(db, tenant_id=admin.tenant_id, start=period[0], end=period[1])
    ]
    debit = sum(t.debit_cents for t in found)
    credit = sum(t.credit_cents for t in found)
    return PeriodTotals(
        start=period[0],
        end=period[1],
        budgets=found,
        debit_cents=debit,
        credit_cents=credit,
        balanced=debit == credit,
    )
