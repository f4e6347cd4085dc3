"""Demo rules, budgets and activities of a local run: ``python -m subsidies.seed``
(idempotent; refused in production)."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kit.demo import seed_demo_tenants, seed_main
from subsidies.activities import repository as activities
from subsidies.activities.models import Activity
from subsidies.budgets import repository as budgets
from subsidies.budgets.models import Budget
from subsidies.config import Settings, get_settings
from subsidies.context import build_context
from subsidies.rules import repository as rules
from subsidies.rules.models import OfferKind, Rule

#: (name, offer kind, min children, amount, percent, yearly cap per person)
RULES = [
    ("Cinéma en famille (2 enfants et plus)", OfferKind.TICKET, 2, 300, None, 3000),
    ("Activités de vacances : 50 %", OfferKind.ACTIVITY, 0, None, 50, 20000),
]
ACTIVITIES = [("Atelier poterie", 4000, 20), ("Séjour en colonie de vacances", 18000, 30)]
BUDGET_CENTS = 5_000_000


async def _seed_tenant(db: AsyncSession, tenant: str, now: datetime) -> None:
    names = await rules.rule_names(db, tenant_id=tenant)
    for name, kind, children, amount, percent, cap in RULES:
        if name not in names:
            db.add(
                Rule(
                    tenant_id=tenant,
                    name=name,
                    offer_kind=kind,
                    min_children=children,
                    amount_cents=amount,
                    percent=percent,
                    cap_cents_per_year=cap,
                    active=True,
                    created_at=now,
                )
            )
    titles = await activities.activity_titles(db, tenant_id=tenant)
    for title, price, seats in ACTIVITIES:
        if title not in titles:
            db.add(
                Activity(
                    tenant_id=tenant,
                    title=title,
                    price_cents=price,
                    starts_at=now + timedelta(days=30),
                    seats=seats,
                    active=True,
                    created_at=now,
                )
            )
    if await budgets.budget(db, tenant_id=tenant, year=now.year) is None:
        db.add(Budget(tenant_id=tenant, year=now.year, amount_cents=BUDGET_CENTS, reserved_cents=0))


async def seed(settings: Settings) -> None:
    await seed_demo_tenants(settings, _seed_tenant)


def main() -> None:
    settings = get_settings()
    build_context(settings)
    seed_main(settings, lambda: seed(settings), "demo subsidy rules, budgets and activities ready")


if __name__ == "__main__":
    main()
