"""Recovery codes of two-factor login on a real (SQLite) database."""

import asyncio

from identity.accounts.models import User
from identity.context import Context
from identity.mfa import totp as mfa
from identity.mfa.models import RecoveryCode
from identity.mfa.service import check_code
from kit.db import Database
from services.identity.tests.factories import NOW, enrol


async def test_recovery_codes_hold_120_bits_and_each_is_spent_once_even_in_parallel(
    database: Database, ctx: Context, alice: User
) -> None:
    codes = mfa.new_recovery_codes()
    assert len(codes) == mfa.RECOVERY_CODES and len(set(codes)) == len(codes)
    bits = len(mfa.RECOVERY_ALPHABET).bit_length() - 1
    assert all(len(c.replace("-", "")) * bits >= 112 for c in codes)
    assert all(mfa.looks_like_recovery_code(c) for c in codes)
    await enrol(database, ctx, alice)
    async with database.transaction() as db:
        db.add_all(
            RecoveryCode(user_id=alice.id, code_hash=mfa.recovery_hash(c)) for c in codes[:2]
        )

    async def spend(value: str) -> bool:
        async with database.transaction() as db:
            user = await db.get(User, alice.id)
            assert user is not None
            return await check_code(db, ctx, user=user, code=value, now=NOW)

    # Two requests spending the same code at once: exactly one gets in.
    results = await asyncio.gather(spend(codes[0]), spend(codes[0].upper()))
    assert sorted(results) == [False, True]
    assert await spend(codes[0]) is False
    assert await spend(codes[1].replace("-", "")) is True  # typed without dashes
    assert await spend(codes[2]) is False  # never issued to this account
