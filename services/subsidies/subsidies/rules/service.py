"""Rules are data: tenant admins make and withdraw them. No HTTP here."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.errors import NotFound
from subsidies.rules import repository
from subsidies.rules.models import Rule
from subsidies.rules.schemas import RuleIn


async def create_rule(
    db: AsyncSession, *, principal: Principal, data: RuleIn, now: datetime
) -> Rule:
    rule = Rule(tenant_id=principal.tenant_id, active=True, created_at=now, **data.model_dump())
    db.add(rule)
    await db.flush()
    return rule


async def withdraw_rule(db: AsyncSession, *, principal: Principal, rule_id: str) -> None:
    """Stop a rule for new grants; those already given stay as they are."""
    rule = await repository.rule_in_tenant(db, tenant_id=principal.tenant_id, rule_id=rule_id)
    if rule is None or not rule.active:
        raise NotFound("rule not found")
    rule.active = False
