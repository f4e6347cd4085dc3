"""Demo data of a local run (CONTRACT.md): tenants ``demo`` and ``other`` and their accounts.

    DEMO_PASSWORD=... python -m identity.seed

Idempotent: an existing account keeps its id and gets the demo password again. Refused when
ENVIRONMENT=production or staging.
"""

import asyncio
import os
import sys
from datetime import UTC, datetime

from identity.accounts.models import User
from identity.accounts.repository import user_by_email, user_by_employee_number
from identity.config import get_settings
from identity.mfa.totp import Totp, staff
from identity.models import events, subject_data
from identity.passwords.hashing import Passwords, policy_problems
from identity.tenants.models import Tenant
from identity.tenants.repository import tenant_by_slug
from kit.auth import Role
from kit.db import Database, new_id
from kit.demo import demo_tenant_id, refuse_demo_seeding

#: Local runs only: main() refuses to seed in production.
DEFAULT_DEMO_PASSWORD = "Demo-Password-2026!"  # noqa: S105

TENANTS = {"demo": "CSE de Démo Industries", "other": "CSE d'Autre Société"}
ACCOUNTS = [
    ("demo", "admin@demo.test", "Ada", "Admin", [Role.TENANT_ADMIN]),
    ("demo", "dpo@demo.test", "Dora", "Protection", [Role.DPO]),
    ("demo", "agent@demo.test", "Sam", "Support", [Role.SUPPORT_AGENT]),
    ("demo", "alice@demo.test", "Alice", "Martin", [Role.EMPLOYEE]),
    ("demo", "bob@demo.test", "Bob", "Bernard", [Role.EMPLOYEE]),
    ("other", "carol@other.test", "Carol", "Petit", [Role.EMPLOYEE]),
]

#: The demo employees' numbers (matricules), so that a tenant's directory sign-in matched by
#: ``employee_number`` finds them as it finds imported people.
EMPLOYEE_NUMBERS = {
    "alice@demo.test": "DEMO-0001",
    "bob@demo.test": "DEMO-0002",
    "carol@other.test": "OTHER-0001",
}


async def seed(password: str) -> None:
    settings = get_settings()
    subject_data.bind(settings)
    passwords = Passwords(
        memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
    )
    password_hash = passwords.hash(password)
    totp = Totp(settings)
    now = datetime.now(UTC)
    database = Database(settings.database_url)
    try:
        async with database.transaction() as db:
            tenants = {}
            for slug, name in TENANTS.items():
                tenant = await tenant_by_slug(db, slug)
                if tenant is None:
                    tenant = Tenant(id=demo_tenant_id(slug), slug=slug, name=name, created_at=now)
                    db.add(tenant)
                tenant.email_domains = [f"{slug}.test"]
                await db.flush()
                tenants[slug] = tenant
            for slug, email, first, last, roles in ACCOUNTS:
                tenant_id = tenants[slug].id
                user = await user_by_email(db, tenant_id=tenant_id, email=email)
                if user is None:
                    user = User(
                        id=new_id(),
                        tenant_id=tenant_id,
                        email=email,
                        first_name=first,
                        last_name=last,
                        roles=[str(r) for r in roles],
                        is_active=True,
                        created_at=now,
                    )
                    db.add(user)
                number = EMPLOYEE_NUMBERS.get(email)
                if user.employee_number is None and number is not None:
                    # A number an import gave someone else meanwhile stays theirs: the
                    # demo account then goes without one rather than the seed failing.
                    holder = await user_by_employee_number(
                        db, tenant_id=tenant_id, employee_number=number
                    )
                    if holder is None:
                        user.employee_number = number
                user.password_hash = password_hash
                user.password_changed_at = now
                if staff(user.roles):  # staff log in with a second step: DEMO_TOTP_SECRET
                    user.totp_secret = totp.seal(user.id, settings.demo_totp_secret)
                    user.totp_pending, user.totp_last_step = None, None
                    user.totp_enabled_at = now
                await db.flush()
                await subject_data.record_personal_data(
                    db, events, subject=user.id, tenant=tenant_id
                )
    finally:
        await database.dispose()


def main() -> None:
    settings = get_settings()
    refuse_demo_seeding(settings)
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    if problems := policy_problems(password):
        sys.exit("DEMO_PASSWORD is too weak: " + "; ".join(problems))
    asyncio.run(seed(password))
    print(f"demo accounts ready in tenants {', '.join(TENANTS)}")


if __name__ == "__main__":
    main()
