"""Data generator: N people with data in every participating service.

    DATABASE_URL=... python bench/generate.py --subjects 10000 [--tenant demo]

Writes straight into the identity database (run with identity's environment): accounts with
no password (nobody can log in as them), two connection-log entries each, and the data-map
marks. Ids and emails are random, so runs never collide. Prints the number of rows written.
"""

import argparse
import asyncio
import secrets
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from devstack.stack import ROOT, SERVICES, Stack
from identity.config import get_settings
from identity.models import LoginEvent, Tenant, User, subject_data
from kit.db import Database

CHUNK = 5000


def email(prefix: str, i: int, tenant: str = "demo") -> str:
    """The email of generated person ``i`` of a run."""
    return f"gen-{prefix}-{i}@{tenant}.test"


async def generate(count: int, tenant_slug: str, batch: str) -> int:
    database = Database(get_settings().database_url)
    now = datetime.now(UTC)
    written = 0
    try:
        async with database.transaction() as db:
            tenant_id = await db.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug))
        assert tenant_id, f"no tenant {tenant_slug!r}: run the platform's seed first"
        for start in range(0, count, CHUNK):
            users, logins, marks = [], [], []
            for i in range(start, min(start + CHUNK, count)):
                user_id = str(uuid.uuid4())
                users.append(
                    {
                        "id": user_id,
                        "tenant_id": tenant_id,
                        "email": email(batch, i, tenant_slug),
                        "first_name": f"First{i}",
                        "last_name": f"Last{batch}{i}",
                        "roles": ["employee"],
                        "password_hash": None,
                        "is_active": True,
                        "created_at": now - timedelta(days=i % 700),
                    }
                )
                for days in (3, 200):
                    logins.append(
                        {
                            "id": str(uuid.uuid4()),
                            "user_id": user_id,
                            "tenant_id": tenant_id,
                            "at": now - timedelta(days=days),
                        }
                    )
                marks.append({"subject": user_id, "categories": "generated", "at": now})
            async with database.transaction() as db:
                await db.execute(insert(User), users)
                await db.execute(insert(LoginEvent), logins)
                await db.execute(insert(subject_data.announced), marks)
            written += len(users) + len(logins) + len(marks)
        return written
    finally:
        await database.dispose()


def generate_in(stack: Stack, count: int, prefix: str) -> None:
    """Run this generator for a running ``stack`` (with its identity service's settings)."""
    identity = next(s for s in SERVICES if s.name == "identity")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            "--subjects",
            str(count),
            "--prefix",
            prefix,
        ],
        env=stack.service_env(identity),
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python bench/generate.py")
    parser.add_argument("--subjects", type=int, required=True)
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--prefix", default=secrets.token_hex(3), help="emails are gen-PREFIX-i@")
    args = parser.parse_args()
    rows = asyncio.run(generate(args.subjects, args.tenant, args.prefix))
    print(f"{args.subjects} people, {rows} rows written")


if __name__ == "__main__":
    main()
