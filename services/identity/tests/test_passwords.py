"""The password policy of the French authority, and argon2id hashing."""

import pytest

from identity.passwords import Passwords, policy_problems


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
