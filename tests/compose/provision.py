"""Runs inside the identity container (the compose test pipes it to ``python -``): a tenant and
its first administrator, whom the test then signs in with their second step.

Compose has no command of its own for this yet: identity's only one is the demo seed, which
staging and production refuse. Environment: TENANT, TENANT_NAME, DOMAIN, ADMIN_EMAIL,
ADMIN_PASSWORD. Prints the administrator's id.
"""

import asyncio
import os
from datetime import UTC, datetime

from identity.config import get_settings
from identity.models import Tenant, User, events, subject_data
from identity.passwords import Passwords, policy_problems
from kit.auth import Role
from kit.db import Database, new_id


async def provision() -> str:
    settings = get_settings()
    password = os.environ["ADMIN_PASSWORD"]
    assert not policy_problems(password), policy_problems(password)
    passwords = Passwords(
        memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
    )
    now = datetime.now(UTC)
    database = Database(settings.database_url)
    try:
        async with database.transaction() as db:
            tenant = Tenant(
                id=new_id(),
                slug=os.environ["TENANT"],
                name=os.environ["TENANT_NAME"],
                created_at=now,
                email_domains=[os.environ["DOMAIN"]],
            )
            db.add(tenant)
            await db.flush()
            # No second factor yet: staff enrol at their first sign-in.
            admin = User(
                id=new_id(),
                tenant_id=tenant.id,
                email=os.environ["ADMIN_EMAIL"],
                first_name="Ada",
                last_name="Operator",
                roles=[str(Role.TENANT_ADMIN)],
                is_active=True,
                created_at=now,
                password_hash=passwords.hash(password),
                password_changed_at=now,
            )
            db.add(admin)
            await db.flush()
            await subject_data.record_personal_data(db, events, subject=admin.id, tenant=tenant.id)
            return admin.id
    finally:
        await database.dispose()


if __name__ == "__main__":
    print(asyncio.run(provision()))
