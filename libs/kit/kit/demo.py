"""Demo data shared by the services' seeds (local run only): the demo tenants' ids.

The identity service owns tenants; the other services only ever see tenant ids in tokens.
Seeded demo tenants get ids derived from their slug, so every service's seed can refer to
them without reading another service's database. Real tenants get random ids.
"""

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.settings import ServiceSettings

_NAMESPACE = uuid.UUID("5d7a7d3e-0c2f-4c1b-9a55-6b2f1f0c9e11")


def demo_tenant_id(slug: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"demo-tenant:{slug}"))


def refuse_demo_seeding(settings: ServiceSettings) -> None:
    """Exit when production's rules apply (production, staging): demo accounts with a known
    password and TOTP secret, and demo offers, have no place on a real site."""
    if settings.production_like:
        sys.exit(
            f"refusing to seed demo data with ENVIRONMENT={settings.environment}: "
            "demo data is for local runs only"
        )


def seed_main(
    settings: ServiceSettings, seed: Callable[[], Coroutine[Any, Any, None]], done: str
) -> None:
    """A service's ``python -m <service>.seed``: refused in production, then ``seed()``."""
    refuse_demo_seeding(settings)
    asyncio.run(seed())
    print(done)


#: The demo tenants every service's seed fills (identity creates them).
DEMO_TENANTS = ("demo", "other")

#: Fills one demo tenant in the seed's transaction: (session, tenant id, now).
Fill = Callable[[AsyncSession, str, datetime], Awaitable[None]]


async def seed_demo_tenants(settings: ServiceSettings, fill: Fill) -> None:
    """Run ``fill`` for each demo tenant, in one transaction on the service's database."""
    database = Database(settings.database_url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as session:
            for slug in DEMO_TENANTS:
                await fill(session, demo_tenant_id(slug), now)
    finally:
        await database.dispose()
