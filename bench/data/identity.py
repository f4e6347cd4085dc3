"""The population in identity: tenants, staff with their second factor, accounts, sessions and
the connection log (about 50 logins each over the last 13 months, so the one-year purge has
work to do)."""

import random
from typing import Any

from sqlalchemy import select

from bench.data.bulk import Bulk, as_json
from bench.data.plan import DAY, Plan, uid
from identity.config import get_settings
from identity.mfa.totp import Totp, new_recovery_codes, recovery_hash
from identity.models import LoginEvent, RecoveryCode, Session, Tenant, User, subject_data
from identity.passwords.hashing import Passwords
from kit.auth import Role

STAFF = [("admin", Role.TENANT_ADMIN), ("dpo", Role.DPO), ("agent", Role.SUPPORT_AGENT)]
USER_COLUMNS = (
    "id", "tenant_id", "email", "first_name", "last_name", "roles", "password_hash",
    "is_active", "created_at", "password_changed_at", "totp_secret", "totp_enabled_at",
    "last_login_at",
)  # fmt: skip
SESSION_COLUMNS = (
    "id", "user_id", "tenant_id", "token_hash", "created_at", "expires_at", "revoked_at",
    "authenticated_at", "last_seen_at", "device", "network",
)  # fmt: skip
EMPLOYEE = as_json([str(Role.EMPLOYEE)])
DEVICES = ("Firefox on Linux", "Safari on iPhone", "Chrome on Windows", "Chrome on Android")


async def write(
    plan: Plan, bulk: Bulk, chunks: list[tuple[int, int]], password: str | None
) -> None:
    settings = get_settings()
    subject_data.bind(settings)
    totp = Totp(settings)
    password_hash = None
    if password:
        hasher = Passwords(
            memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
        )
        password_hash = hasher.hash(password)
    digest = subject_data._digest(subject_data.categories())
    now = plan.now
    async with bulk.database.transaction() as db:
        existing = set(await db.scalars(select(Tenant.slug)))
    await bulk.write(
        Tenant.__table__,
        ("id", "slug", "name", "created_at", "email_domains"),
        [
            (t.id, t.slug, t.name, now - DAY * 1200, as_json([f"{t.slug}.test"]))
            for t in plan.tenant_list
            if t.slug not in existing
        ],
    )
    staff, codes = [], []
    for t in plan.generated_tenants:  # demo has its staff from the seed
        for local, role in STAFF:
            rng = random.Random(f"{plan.prefix}:{t.slug}:{local}:codes")
            user_id = plan.staff_id(t, local)
            roles = as_json([str(role)])
            staff.append(
                (user_id, t.id, plan.staff_email(t, local), local.title(), "Staff", roles,
                 password_hash, True, now - DAY * 1200, now - DAY * 90,
                 totp.seal(user_id, settings.demo_totp_secret), now - DAY * 1100, now - DAY)
            )  # fmt: skip
            for code in new_recovery_codes():
                codes.append((uid(rng), user_id, recovery_hash(code), None))
    await bulk.write(User.__table__, USER_COLUMNS, staff)
    await bulk.write(RecoveryCode.__table__, ("id", "user_id", "code_hash", "used_at"), codes)
    for start, stop in chunks:
        users: list[tuple[Any, ...]] = []
        logins: list[tuple[Any, ...]] = []
        sessions: list[tuple[Any, ...]] = []
        marks = []
        for p in plan.people(start, stop):
            rng = p.rng
            last = p.logins[-1] if p.logins else None
            users.append(
                (p.id, p.tenant.id, p.email, p.first_name, p.last_name, EMPLOYEE,
                 password_hash, True, p.joined, p.joined if password_hash else None, None, None,
                 last)
            )  # fmt: skip
            for at in p.logins:
                logins.append((uid(rng), p.id, p.tenant.id, at))
            for at in p.sessions:
                expires = at + DAY * 0.5
                sessions.append(
                    (uid(rng), p.id, p.tenant.id,
                     f"{rng.getrandbits(256):064x}", at, expires, None, at,
                     at + DAY * 0.02, rng.choice(DEVICES), f"net-{rng.getrandbits(32):08x}")
                )  # fmt: skip
            marks.append((p.id, digest, p.joined))
        await bulk.write(User.__table__, USER_COLUMNS, users)
        await bulk.write(LoginEvent.__table__, ("id", "user_id", "tenant_id", "at"), logins)
        await bulk.write(Session.__table__, SESSION_COLUMNS, sessions)
        await bulk.write(subject_data.announced, ("subject", "categories", "at"), marks)
