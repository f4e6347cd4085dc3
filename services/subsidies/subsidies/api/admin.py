"""What tenant admins run: rules, the yearly budget, anonymous statistics."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from kit.auth import TenantAdmin
from kit.db import SessionDep
from kit.errors import NotFound
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from subsidies import repository, service
from subsidies.models import Budget, Rule
from subsidies.schemas import BudgetIn, BudgetPublic, RuleIn, RulePublic, Statistics

router = APIRouter(prefix="/api/subsidies", tags=["administration"])


def rule_public(rule: Rule) -> RulePublic:
    return RulePublic(
        id=rule.id,
        name=rule.name,
        offer_kind=rule.offer_kind,
        min_children=rule.min_children,
        amount_cents=rule.amount_cents,
        percent=rule.percent,
        cap_cents_per_year=rule.cap_cents_per_year,
        active=rule.active,
    )


def budget_public(budget: Budget) -> BudgetPublic:
    return BudgetPublic(
        year=budget.year,
        amount_cents=budget.amount_cents,
        reserved_cents=budget.reserved_cents,
        remaining_cents=budget.amount_cents - budget.reserved_cents,
    )


@router.get("/rules", responses=PAGED_RESPONSES)
async def list_rules(
    admin: TenantAdmin,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[RulePublic]:
    """The rules in force, in the order they were made; one page (``X-Next-Cursor`` holds the
    next one's cursor)."""
    page = await repository.active_rules_page(
        db, tenant_id=admin.tenant_id, cursor=cursor, limit=limit
    )
    return page.map(rule_public).send(response)


@router.post("/rules", status_code=status.HTTP_201_CREATED)
async def create_rule(body: RuleIn, admin: TenantAdmin, db: SessionDep) -> RulePublic:
    """A rule is data: conditions, an amount or a percentage, a yearly cap per person."""
    return rule_public(
        await service.create_rule(db, principal=admin, data=body, now=service.utcnow())
    )


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_rule(rule_id: str, admin: TenantAdmin, db: SessionDep) -> None:
    await service.withdraw_rule(db, principal=admin, rule_id=rule_id)


@router.get("/budget")
async def get_budget(
    admin: TenantAdmin, db: SessionDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> BudgetPublic:
    found = await repository.budget(
        db, tenant_id=admin.tenant_id, year=year or service.utcnow().year
    )
    if found is None:
        raise NotFound("no budget for this year")
    return budget_public(found)


@router.put("/budget")
async def put_budget(body: BudgetIn, admin: TenantAdmin, db: SessionDep) -> BudgetPublic:
    return budget_public(
        await service.set_budget(
            db, principal=admin, year=body.year, amount_cents=body.amount_cents
        )
    )


@router.get("/stats")
async def statistics(
    request: Request,
    admin: TenantAdmin,
    db: SessionDep,
    by: Literal["kind", "children"] = "kind",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Statistics:
    """Uses per offer kind or per children bracket; no group of fewer than k people shows."""
    k = request.app.state.settings.k_anonymity
    chosen = year or service.utcnow().year
    cells, merged = await service.statistics(db, principal=admin, by=by, year=chosen, k=k)
    return Statistics(by=by, year=chosen, k=k, cells=cells, merged_groups=merged)
