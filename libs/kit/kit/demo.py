"""Demo data shared by the services' seeds (local run only): the demo tenants' ids.

The identity service owns tenants; the other services only ever see tenant ids in tokens.
Seeded demo tenants get ids derived from their slug, so every service's seed can refer to
them without reading another service's database. Real tenants get random ids.
"""

import uuid

_NAMESPACE = uuid.UUID("5d7a7d3e-0c2f-4c1b-9a55-6b2f1f0c9e11")


def demo_tenant_id(slug: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"demo-tenant:{slug}"))
