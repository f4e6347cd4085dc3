"""Demo rules, budgets and activities of a local run: ``python -m subsidies.seed``
(idempotent; refused in production)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kit.db import Database
from kit.demo import demo_tenant_id, seed_main
from subsidies.config import get_settings
from subsidies.models import Activity, Budget, Rule

#: (name, offer kind, min children, amount, percent, yearly cap per person)
RULES = [
    ("Cinema for families (2+ children)", "ticket", 2, 300, None, 3000),
    ("Holiday activities", "activity", 0, None, 50, 20000),
]
ACTIVITIES = [("Pottery class", 4000, 20), ("Weekend in the Alps", 18000, 30)]
BUDGET_CENTS = 5_000_000


async def seed() -> None:
    database = Database(get_settings().database_url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as db:
            for slug in ("demo", "other"):
                tenant = demo_tenant_id(slug)
                rules = set(
                    (await db.scalars(select(Rule.name).where(Rule.tenant_id == tenant))).all()
                )
                for name, kind, children, amount, percent, cap in RULES:
                    if name not in rules:
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
                titles = set(
                    (
                        await db.scalars(select(Activity.title).where(Activity.tenant_id == tenant))
                    ).all()
                )
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
                budget = await db.scalar(
                    select(Budget).where(Budget.tenant_id == tenant, Budget.year == now.year)
                )
                if budget is None:
                    db.add(
                        Budget(
                            tenant_id=tenant,
                            year=now.year,
                            amount_cents=BUDGET_CENTS,
                            reserved_cents=0,
                        )
                    )
    finally:
        await database.dispose()


def main() -> None:
    seed_main(get_settings(), seed, "demo subsidy rules, budgets and activities ready")


if __name__ == "__main__":
    main()
