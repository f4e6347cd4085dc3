"""Gift campaigns: ``/api/subsidies/campaigns`` (tenant admins) and
``/api/subsidies/vouchers`` (each employee's own)."""

import csv
import io
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from kit.auth import CurrentUser, TenantAdmin
from kit.clients import Clients, ClientsDep
from kit.db import SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, NEXT_CURSOR_HEADER, PAGED_RESPONSES, Cursor, Limit
from subsidies.campaigns import service
from subsidies.campaigns.schemas import (
    CampaignCreate,
    CampaignIn,
    CampaignPublic,
    EventPublic,
    ExemptionPublic,
    PreviewPublic,
    VoucherPublic,
)
from subsidies.campaigns.service import Draft
from subsidies.config import Settings
from subsidies.context import ContextDep

router = APIRouter(prefix="/api/subsidies", tags=["gift campaigns"])

Year = Annotated[int, Query(ge=2000, le=2100)]
CSV_COLUMNS = list(ExemptionPublic.model_fields)


async def active_employees(
    settings: Settings, draft: Draft, now: datetime, clients: Clients
) -> set[str]:
    """The tenant's active employees, asked of identity for the admin once the draft is known
    to be valid, and before the route's first statement: the call holds no pooled connection
    and no lock of the tenant's campaigns."""
    service.check(settings, draft, now)
    return set(await clients.identity.employees())


@router.get("/campaigns/events")
async def events(admin: TenantAdmin, context: ContextDep) -> list[EventPublic]:
    """The events URSSAF lists (configuration), with this year's exempt amount of each."""
    year = service.year_of(utcnow())
    return [
        EventPublic(event=event, per_child_limit=basis == "child", limit_cents=limit)
        for event, basis, limit in service.events_of(context.settings, year)
    ]


@router.post("/campaigns/preview")
async def preview(
    body: CampaignIn,
    admin: TenantAdmin,
    context: ContextDep,
    db: SessionDep,
    clients: ClientsDep,
) -> PreviewPublic:
    """The dry run: who would receive what, and who would go over the exemption limit. The
    beneficiaries are the tenant's active employees (identity's list, ids only)."""
    draft, now = body.draft(), utcnow()
    employees = await active_employees(context.settings, draft, now, clients)
    plan = await service.plan(
        db,
        settings=context.settings,
        tenant_id=admin.tenant_id,
        draft=draft,
        now=now,
        employees=employees,
    )
    return PreviewPublic.of(plan)


@router.post("/campaigns", status_code=status.HTTP_201_CREATED)
async def create(
    body: CampaignCreate,
    admin: TenantAdmin,
    context: ContextDep,
    db: SessionDep,
    clients: ClientsDep,
) -> CampaignPublic:
    """Issue the vouchers to the tenant's active employees meeting the condition (with no
    condition, every one, profile or not); 409 when some go over the limit without
    ``confirm_over_limit``."""
    draft, now = body.draft(), utcnow()
    employees = await active_employees(context.settings, draft, now, clients)
    campaign, _ = await service.create(
        db,
        settings=context.settings,
        tenant_id=admin.tenant_id,
        draft=draft,
        confirm_over_limit=body.confirm_over_limit,
        now=now,
        employees=employees,
    )
    return CampaignPublic.of(campaign)


@router.get("/campaigns", responses=PAGED_RESPONSES)
async def list_campaigns(
    admin: TenantAdmin,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[CampaignPublic]:
    """The tenant's campaigns, the newest first; one page."""
    page = await service.campaigns(db, tenant_id=admin.tenant_id, cursor=cursor, limit=limit)
    return page.map(CampaignPublic.of).send(response)


@router.get("/campaigns/report", responses=PAGED_RESPONSES)
async def report(
    year: Year,
    admin: TenantAdmin,
    context: ContextDep,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[ExemptionPublic]:
    """Per person (id) and event, the year's vouchers: what is exempt and what is not."""
    page = await service.report(
        db,
        settings=context.settings,
        tenant_id=admin.tenant_id,
        year=year,
        cursor=cursor,
        limit=limit,
    )
    return page.map(ExemptionPublic.of).send(response)


@router.get("/campaigns/report.csv", responses=PAGED_RESPONSES)
async def report_csv(
    year: Year,
    admin: TenantAdmin,
    context: ContextDep,
    db: SessionDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """The same page as CSV (``X-Next-Cursor`` as for the JSON list)."""
    paged = Response()
    lines = await report(year, admin, context, db, paged, limit, cursor)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(line.model_dump() for line in lines)
    following = paged.headers.get(NEXT_CURSOR_HEADER)
    headers = {NEXT_CURSOR_HEADER: following} if following else None
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/vouchers", responses=PAGED_RESPONSES)
async def own_vouchers(
    user: CurrentUser,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[VoucherPublic]:
    """One's own gift vouchers, the newest first, with what is left of each (orders take it)."""
    page = await service.own_vouchers(
        db, tenant_id=user.tenant_id, user_id=user.user_id, cursor=cursor, limit=limit
    )
    return page.map(VoucherPublic.of).send(response)
