"""The beneficiary's profile and the rules it meets. No HTTP here."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.errors import NotFound
from kit.pagination import Page
from subsidies.base import events, subject_data
from subsidies.grants import repository as grants
from subsidies.profiles import repository
from subsidies.profiles.models import Profile
from subsidies.profiles.schemas import Eligibility
from subsidies.quotients import service as quotients
from subsidies.rules import repository as rules
from subsidies.rules.models import Rule


async def own_profile(db: AsyncSession, *, principal: Principal) -> Profile:
    profile = await repository.profile_of(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id
    )
    if profile is None:
        raise NotFound("no beneficiary profile yet")
    return profile


async def set_profile(
    db: AsyncSession, *, principal: Principal, children_count: int, now: datetime
) -> Profile:
    profile = await repository.profile_of(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id
    )
    if profile is None:
        profile = Profile(user_id=principal.user_id, tenant_id=principal.tenant_id)
        db.add(profile)
    profile.children_count = children_count
    profile.updated_at = now
    await db.flush()
    await subject_data.record_personal_data(
        db, events, subject=principal.user_id, tenant=principal.tenant_id
    )
    return profile


def _eligibility(rule: Rule, used: int) -> Eligibility:
    return Eligibility(
        rule_id=rule.id,
        name=rule.name,
        offer_kind=rule.offer_kind,
        amount_cents=rule.amount_cents,
        percent=rule.percent,
        cap_cents_per_year=rule.cap_cents_per_year,
        used_cents=used,
        remaining_cents=max(0, rule.cap_cents_per_year - used),
    )


async def eligibility(
    db: AsyncSession, *, principal: Principal, now: datetime, cursor: str | None, limit: int
) -> Page[Eligibility]:
    """One page of the rules the person meets, with what they used of each this year."""
    profile = await repository.profile_of(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id
    )
    children = profile.children_count if profile else 0
    used = await grants.used_by_rule(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, year=now.year
    )
    bracket = await quotients.current_bracket(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, now=now
    )
    page = await rules.rules_met_page(
        db,
        tenant_id=principal.tenant_id,
        children=children,
        cursor=cursor,
        limit=limit,
        bracket=bracket,
    )
    return page.map(lambda rule: _eligibility(rule, used.get(rule.id, 0)))
