"""A new client's tenant and its first administrator: what an operator runs once per client,
in any environment (the demo seed is refused outside a local run).

    ADMIN_PASSWORD=... python -m identity.bootstrap TENANT "Name" DOMAIN ADMIN_EMAIL

The password comes from the environment, never the command line (a process list shows
arguments). The administrator enrols a second factor at their first sign-in. Prints the
administrator's id; exits 2, changing nothing, when the tenant exists or an input is refused.
"""

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime

from pydantic import TypeAdapter, ValidationError

from identity.accounts.models import User
from identity.accounts.schemas import Email, Slug
from identity.config import get_settings
from identity.models import events, subject_data
from identity.passwords.hashing import Passwords, policy_problems
from identity.tenants.models import Tenant
from identity.tenants.repository import tenant_by_slug
from kit.auth import Role
from kit.db import Database, new_id


class Refused(Exception):
    """An input the command will not take; nothing was written."""


async def bootstrap(
    database: Database,
    passwords: Passwords,
    *,
    slug: str,
    name: str,
    domain: str,
    email: str,
    password: str,
) -> str:
    """The tenant and its administrator, in one transaction; the administrator's id."""
    problems = policy_problems(password)
    if problems:
        raise Refused("; ".join(problems))
    now = datetime.now(UTC)
    async with database.transaction() as db:
        if await tenant_by_slug(db, slug) is not None:
            raise Refused(f"a tenant {slug!r} exists already")
        tenant = Tenant(
            id=new_id(), slug=slug, name=name, created_at=now, email_domains=[domain.lower()]
        )
        db.add(tenant)
        await db.flush()
        admin = User(
            id=new_id(),
            tenant_id=tenant.id,
            email=email,
            first_name="Administrator",
            last_name="",
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m identity.bootstrap", description=__doc__)
    parser.add_argument("tenant", help="the tenant's slug, as people type it to sign in")
    parser.add_argument("name", help="the works council's name")
    parser.add_argument("domain", help="the company's email domain")
    parser.add_argument("email", help="the first administrator's email")
    args = parser.parse_args(argv)
    password = os.environ.get("ADMIN_PASSWORD", "")
    try:
        slug = TypeAdapter(Slug).validate_python(args.tenant)
        email = TypeAdapter(Email).validate_python(args.email)
    except ValidationError as exc:
        print(f"refused: {exc.errors()[0]['msg']}", file=sys.stderr)
        sys.exit(2)
    settings = get_settings()
    subject_data.bind(settings)
    passwords = Passwords(
        memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
    )
    database = Database(settings.database_url)

    async def run() -> str:
        try:
            return await bootstrap(
                database,
                passwords,
                slug=slug,
                name=args.name,
                domain=args.domain,
                email=email,
                password=password,
            )
        finally:
            await database.dispose()

    try:
        print(asyncio.run(run()))
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
