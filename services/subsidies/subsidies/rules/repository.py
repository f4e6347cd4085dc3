"""The rules' queries; all carry the tenant."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from subsidies.rules.models import Rule

#: The tenant's rules, in the order they were made.
RULES_AS_MADE = Keyset[Rule](
    "rules", (By(Rule.created_at, datetime), By(Rule.id, str)), key=lambda r: (r.created_at, r.id)
)
#: The rules a person meets: the same order, another list (a cursor of one is refused by the
#: other).
MET_AS_MADE = Keyset[Rule]("eligibility", RULES_AS_MADE.by, RULES_AS_MADE.key)


async def active_rules(db: AsyncSession, *, tenant_id: str) -> Sequence[Rule]:
    """Every rule in force, to compute a grant (not a list anybody reads)."""
    query = select(Rule).where(Rule.tenant_id == tenant_id, Rule.active.is_(True))
    return (await db.scalars(query.order_by(Rule.created_at))).all()


async def active_rules_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[Rule]:
    query = select(Rule).where(Rule.tenant_id == tenant_id, Rule.active.is_(True))
    return await fetch(db, [Part(query, RULES_AS_MADE)], cursor=cursor, limit=limit)


async def rules_met_page(
    db: AsyncSession,
    *,
    tenant_id: str,
    children: int,
    cursor: str | None,
    limit: int,
    bracket: str | None = None,
) -> Page[Rule]:
    """The rules in force whose condition a person with ``children`` meets: the condition is
    in the query, so that a page holds ``limit`` of them, not ``limit`` rules minus the others."""
    query = select(Rule).where(
        Rule.tenant_id == tenant_id,
        Rule.active.is_(True),
        Rule.min_children <= children,
        or_(Rule.bracket.is_(None), Rule.bracket == bracket),
    )
    return await fetch(db, [Part(query, MET_AS_MADE)], cursor=cursor, limit=limit)


async def rule_in_tenant(db: AsyncSession, *, tenant_id: str, rule_id: str) -> Rule | None:
    return await db.scalar(select(Rule).where(Rule.id == rule_id, Rule.tenant_id == tenant_id))


async def rule_names(db: AsyncSession, *, tenant_id: str) -> set[str]:
    """The names of the tenant's rules (the demo seed adds the missing ones)."""
    return set((await db.scalars(select(Rule.name).where(Rule.tenant_id == tenant_id))).all())
