"""Sensitive actions need a recent sign-in, and the person hears of them (issue 14, part 6).

An export or an erasure filed from a session whose password was entered long ago is refused
until the person confirms their password (``POST /api/auth/reauthenticate``); the person is
mailed when their data is exported and when their credentials change.
"""

import asyncio
import time
from email import policy
from email.parser import BytesParser

import asyncpg
import pytest

from kit.auth import REAUTHENTICATE
from tests.e2e.conftest import PASSWORD, Platform
from tests.e2e.test_privacy import new_employee, wait_done

pytestmark = pytest.mark.e2e


def mails_to(platform: Platform, to: str, word: str, timeout: float = 15) -> list[str]:
    """Subjects of the sink's mails to ``to`` whose subject has ``word``, waiting for one."""
    deadline, subjects = time.monotonic() + timeout, list[str]()
    while not subjects and time.monotonic() < deadline:
        for path in (platform.var_dir / "mail").glob("*.eml"):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            if message["To"] == to and word in str(message["Subject"]):
                subjects.append(str(message["Subject"]))
        time.sleep(0.2)
    return subjects


async def _sign_in_long_ago(url: str, user_id: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(
            "UPDATE sessions SET authenticated_at = now() - interval '1 hour' WHERE user_id = $1",
            user_id,
        )
    finally:
        await conn.close()


def test_an_export_or_erasure_needs_a_recent_sign_in(platform: Platform) -> None:
    email, _last, user_id = new_employee(platform, first="Sandra")
    person = platform.login(email)
    fresh = person.post("/api/privacy/requests", json={"type": "access"})
    assert fresh.status_code == 202, fresh.text  # signed in a moment ago
    assert wait_done(person, fresh.json()["id"])["status"] == "completed"
    assert mails_to(platform, email, "Your data is ready"), "no mail about the export"

    asyncio.run(_sign_in_long_ago(platform.stack.config.database_urls["identity"], user_id))
    for kind in ("access", "portability", "erasure"):
        stale = person.post("/api/privacy/requests", json={"type": kind})
        assert stale.status_code == 403, (kind, stale.text)
        assert stale.json() == {"detail": REAUTHENTICATE}
    # Restriction or objection hand nothing out: no re-authentication.
    assert person.post("/api/privacy/requests", json={"type": "objection"}).status_code == 202

    wrong = person.post("/api/auth/reauthenticate", json={"password": "Not-the-password-1"})
    assert wrong.status_code == 403
    right = person.post("/api/auth/reauthenticate", json={"password": PASSWORD})
    assert right.status_code == 204, right.text
    erasure = person.post("/api/privacy/requests", json={"type": "erasure"})
    assert erasure.status_code == 202, erasure.text
    assert wait_done(platform.login("dpo@demo.test"), erasure.json()["id"])["status"] == (
        "completed"
    )


def test_a_changed_password_is_mailed_to_the_person(platform: Platform) -> None:
    email, _last, _user_id = new_employee(platform, first="Paulo")
    person = platform.login(email)
    changed = person.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "Another-2026-pass!"},
    )
    assert changed.status_code == 204, changed.text
    [subject] = mails_to(platform, email, "Your password was changed")
    assert "Votre mot de passe a été changé" in subject
