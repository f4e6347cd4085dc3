"""Demo offers of a local run: ``python -m orders.seed`` (idempotent; refused in production)."""

from datetime import UTC, datetime

from sqlalchemy import select

from kit.db import Database
from kit.demo import demo_tenant_id, seed_main
from orders.config import get_settings
from orders.models import Offer

OFFERS = [
    ("Cinema ticket", "ticket", 750, None),
    ("Theme park day pass", "ticket", 3200, 200),
    ("Book shop voucher 20 EUR", "voucher", 1500, None),
    ("Picnic basket", "goods", 2500, 50),
]


async def seed() -> None:
    database = Database(get_settings().database_url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as db:
            for slug in ("demo", "other"):
                tenant_id = demo_tenant_id(slug)
                existing = set(
                    (
                        await db.scalars(select(Offer.title).where(Offer.tenant_id == tenant_id))
                    ).all()
                )
                for title, kind, price, stock in OFFERS:
                    if title not in existing:
                        db.add(
                            Offer(
                                tenant_id=tenant_id,
                                title=title,
                                kind=kind,
                                price_cents=price,
                                stock=stock,
                                active=True,
                                created_at=now,
                            )
                        )
    finally:
        await database.dispose()


def main() -> None:
    seed_main(get_settings(), seed, "demo offers ready")


if __name__ == "__main__":
    main()
