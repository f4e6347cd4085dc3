"""The password policy of the French authority, argon2id hashing, and a password changed by
the person or reset through a mailed link (on a real SQLite database)."""

import pytest
from sqlalchemy import select

from identity.accounts.models import User
from identity.context import Context
from identity.passwords import service
from identity.passwords.hashing import Passwords, policy_problems
from identity.passwords.models import LinkPurpose
from kit.auth import Principal
from kit.db import Database
from kit.errors import BadRequest, Unauthenticated
from services.identity.tests.factories import NOW, PASSWORD, lock, login, verify


@pytest.mark.parametrize(
    "password",
    [
        "Abcdefgh12!x",  # 12 characters, four classes
        "correct horse battery staple now",  # long passphrase: > 80 bits
        "tr0ub4dor&3-Xyz",
        "ABCDEFGHabcd12",  # three classes but 14 x log2(62) = 83 bits: equivalent strength
    ],
)
def test_strong_passwords_pass(password: str) -> None:
    assert policy_problems(password) == []


@pytest.mark.parametrize(
    "password",
    [
        "Abcdefgh12!",  # 11 characters
        "abcdefgh1234",  # two classes only, 62 bits
        "",
        "x" * 200,
    ],
)
def test_weak_passwords_fail(password: str) -> None:
    assert policy_problems(password) != []


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords(memory_kib=8192, time_cost=1)


def test_hash_is_argon2id_and_verifies(passwords: Passwords) -> None:
    digest = passwords.hash("Abcdefgh12!x")
    assert digest.startswith("$argon2id$")
    assert passwords.verify(digest, "Abcdefgh12!x")
    assert not passwords.verify(digest, "Abcdefgh12!y")


def test_unknown_account_never_verifies(passwords: Passwords) -> None:
    assert not passwords.verify(None, "not a real password, only spends the same time")


def test_changed_parameters_ask_for_rehash(passwords: Passwords) -> None:
    stronger = Passwords(memory_kib=19456, time_cost=2)
    assert stronger.needs_rehash(passwords.hash("Abcdefgh12!x"))
    assert not passwords.needs_rehash(passwords.hash("Abcdefgh12!x"))


async def test_password_change_revokes_every_session(
    database: Database, ctx: Context, alice: User
) -> None:
    tokens = [(await login(database, ctx, PASSWORD)).session_token for _ in range(2)]
    principal = Principal(alice.id, alice.tenant_id, "demo", frozenset({"employee"}), "s")
    async with database.transaction() as db:
        new_token = await service.change_password(
            db, ctx, principal=principal, current=PASSWORD, new="Zyxwvut98765?", now=NOW
        )
    for token in tokens:
        assert token
        with pytest.raises(Unauthenticated):
            await verify(database, ctx, token)
    await verify(database, ctx, new_token)
    async with database.transaction() as db:
        changed = await db.scalar(select(User.password_changed_at).where(User.id == alice.id))
    assert changed == NOW


async def test_a_completed_reset_forgets_the_failures_and_trusts_the_browser(
    database: Database, ctx: Context, alice: User
) -> None:
    await lock(database, ctx)
    async with database.transaction() as db:
        user = await db.get(User, alice.id)
        assert user is not None
        link = await service.issue(db, ctx.settings, user=user, purpose=LinkPurpose.RESET, now=NOW)
    async with database.transaction() as db:
        cookie = await service.confirm_reset(db, ctx, token=link, password="Zyxwvut98765?", now=NOW)
    assert [t.user_id for t in ctx.devices.read(cookie, NOW)] == [alice.id]
    assert (await login(database, ctx, "Zyxwvut98765?")).session_token  # no lock left
    with pytest.raises(BadRequest):
        async with database.transaction() as db:
            await service.confirm_reset(db, ctx, token=link, password="Zyxwvut98765?", now=NOW)
