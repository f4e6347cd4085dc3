"""Password hashing (argon2id) and the password policy of the French authority (CNIL).

Policy: at least 12 characters mixing the four classes (lower, upper, digit, other), or any
password of equivalent strength, at least 80 bits estimated as length x log2(alphabet).
"""

import asyncio
import math
import string
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from kit.errors import Invalid

MIN_LENGTH = 12
MAX_LENGTH = 128  # longer inputs only cost hashing time
MIN_ENTROPY_BITS = 80

_CLASSES = (
    (string.ascii_lowercase, 26),
    (string.ascii_uppercase, 26),
    (string.digits, 10),
)


def _alphabet(password: str) -> tuple[int, int]:
    """How many character classes the password uses, and the size of their alphabet."""
    used, size = 0, 0
    for chars, count in _CLASSES:
        if any(c in chars for c in password):
            used, size = used + 1, size + count
    if any(not (c.isascii() and c.isalnum()) for c in password):
        used, size = used + 1, size + 33
    return used, size


def policy_problems(password: str) -> list[str]:
    """What is wrong with ``password``; an empty list means it is acceptable."""
    if len(password) > MAX_LENGTH:
        return [f"at most {MAX_LENGTH} characters"]
    classes, alphabet = _alphabet(password)
    if len(password) >= MIN_LENGTH and classes == 4:
        return []
    bits = len(password) * math.log2(alphabet) if alphabet else 0.0
    if bits >= MIN_ENTROPY_BITS:
        return []
    return [
        f"at least {MIN_LENGTH} characters with lower case, upper case, digits and symbols, "
        f"or a longer passphrase (about {MIN_ENTROPY_BITS} bits)"
    ]


def check_policy(password: str) -> None:
    """Invalid (422) with what is wrong when ``password`` fails the policy."""
    if problems := policy_problems(password):
        raise Invalid("password too weak: " + "; ".join(problems))


class Passwords:
    """argon2id. The routes use ``verified`` and ``hashed``, which hash in a thread of their own:
    a hash is tens of milliseconds of CPU (far more on a busy machine), and in the event loop
    it held up every other request of identity, the gateway's check of each request's session
    included (docs/performance.md). argon2 releases the GIL, so two hashes run on two cores;
    the pool's ``HASH_THREADS`` bound the memory they take at once (19 MiB each)."""

    HASH_THREADS = 2

    def __init__(self, *, memory_kib: int, time_cost: int) -> None:
        self.hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID
        )
        self._pool = ThreadPoolExecutor(self.HASH_THREADS, thread_name_prefix="argon2")
        # Verified against when the account does not exist, so timing reveals nothing.
        self._dummy = self.hasher.hash("not a real password, only spends the same time")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; spends one hash's time in every case."""
        try:
            return self.hasher.verify(password_hash or self._dummy, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)

    async def hashed(self, password: str) -> str:
        """``hash``, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.hash, password)

    async def verified(self, password_hash: str | None, password: str) -> bool:
        """``verify``, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self.verify, password_hash, password
        )
