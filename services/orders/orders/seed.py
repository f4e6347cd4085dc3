"""Demo offers of a local run: ``python -m orders.seed`` (idempotent; refused in production)."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.demo import seed_demo_tenants, seed_main
from orders.config import Settings, get_settings
from orders.models import subject_data
from orders.offers.models import Offer, OfferKind
from orders.offers.repository import offer_titles

OFFERS = [
    ("Place de cinéma", OfferKind.TICKET, 750, None),
    ("Journée au parc d'attractions", OfferKind.TICKET, 3200, 200),
    ("Bon d'achat librairie 20 €", OfferKind.VOUCHER, 1500, None),
    ("Panier pique-nique du terroir", OfferKind.GOODS, 2500, 50),
]


async def offers(db: AsyncSession, tenant_id: str, now: datetime) -> None:
    """The demo offers a tenant lacks."""
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


async def seed(settings: Settings) -> None:
    await seed_demo_tenants(settings, offers)


def main() -> None:
    settings = get_settings()
    subject_data.bind(settings)
    seed_main(settings, lambda: seed(settings), "demo offers ready")


if __name__ == "__main__":
    main()
