"""Demo offers of a local run: ``python -m orders.seed`` (idempotent; refused in production)."""

from datetime import UTC, datetime

from kit.db import Database
from kit.demo import demo_tenant_id, seed_main
from orders.config import Settings, get_settings
from orders.models import subject_data
from orders.offers.models import Offer, OfferKind
from orders.offers.repository import offer_titles

OFFERS = [
    ("Cinema ticket", OfferKind.TICKET, 750, None),
    ("Theme park day pass", OfferKind.TICKET, 3200, 200),
    ("Book shop voucher 20 EUR", OfferKind.VOUCHER, 1500, None),
    ("Picnic basket", OfferKind.GOODS, 2500, 50),
]


async def seed(settings: Settings) -> None:
    database = Database(settings.database_url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as db:
            for slug in ("demo", "other"):
                tenant_id = demo_tenant_id(slug)
                existing = await offer_titles(db, tenant_id=tenant_id)
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
    settings = get_settings()
    subject_data.bind(settings)
    seed_main(settings, lambda: seed(settings), "demo offers ready")


if __name__ == "__main__":
    main()
