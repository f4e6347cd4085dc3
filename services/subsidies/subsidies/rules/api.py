"""What tenant admins run on rules: ``/api/subsidies/rules``."""

from fastapi import APIRouter, Response, status

from kit.auth import TenantAdmin
from kit.db import SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from subsidies.rules import repository, service
from subsidies.rules.schemas import RuleIn, RulePublic

router = APIRouter(prefix="/api/subsidies", tags=["administration"])


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
    return page.map(RulePublic.of).send(response)


@router.post("/rules", status_code=status.HTTP_201_CREATED)
async def create_rule(body: RuleIn, admin: TenantAdmin, db: SessionDep) -> RulePublic:
    """A rule is data: conditions, an amount or a percentage, a yearly cap per person."""
    return RulePublic.of(await service.create_rule(db, principal=admin, data=body, now=utcnow()))


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_rule(rule_id: str, admin: TenantAdmin, db: SessionDep) -> None:
    await service.withdraw_rule(db, principal=admin, rule_id=rule_id)
