"""Inactive accounts end to end (storage limitation): an employee idle for two years is warned
by email; thirty-one days later, still without login, the account is erased through the same
erasure request as one the person files, opened for inactivity and visible to the DPO.

The database is the clock: dates are moved back in it. The job runs through its operators'
entry point, ``python -m identity.inactivity run-once``, with the stack's identity settings."""

import asyncio
import subprocess
import sys
import time
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.stack import ROOT
from tests.e2e.conftest import PASSWORD, Platform, wait_quiet
from tests.e2e.test_accounts_import import logged_out
from tests.e2e.test_privacy import _rows_mentioning, new_employee, wait_done

pytestmark = pytest.mark.e2e


def run_once(platform: Platform) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "identity.inactivity", "run-once"],
        env=platform.service_env("identity"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


async def _sql(url: str, statement: str, *args: object) -> Any:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return await conn.fetchval(statement, *args)
    finally:
        await conn.close()


def sql(platform: Platform, statement: str, *args: object) -> Any:
    return asyncio.run(_sql(platform.stack.config.database_urls["identity"], statement, *args))


def warnings_to(platform: Platform, to: str, timeout: float = 45) -> list[tuple[str, str]]:
    """(subject, text) of the inactivity warnings the sink received for ``to``."""
    deadline, found = time.monotonic() + timeout, list[tuple[str, str]]()
    while not found and time.monotonic() < deadline:
        for path in (platform.var_dir / "mail").glob("*.eml"):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            subject = str(message["Subject"])
            if message["To"] == to and "Your account will be deleted" in subject:
                body = message.get_body(("plain",))
                found.append((subject, body.get_content() if body else ""))
        if not found:
            time.sleep(0.3)
    return found


def inactivity_requests(dpo: httpx.Client, since: str) -> list[dict[str, Any]]:
    queue = dpo.get("/api/privacy/requests", params={"scope": "tenant"})
    assert queue.status_code == 200, queue.text
    return [r for r in queue.json() if r["channel"] == "inactivity" and r["received_at"] >= since]


def test_an_idle_account_is_warned_then_erased_like_a_request(platform: Platform) -> None:
    started = datetime.now(UTC).isoformat()
    email, last_name, user_id = new_employee(platform, first="Idle")
    person = platform.login(email)
    assert person.get("/api/auth/me").status_code == 200
    age(platform, user_id)
    # First run: the warning, French then English, with the date of deletion.
    run_once(platform)
    [(subject, text)] = warnings_to(platform, email)
    assert subject.startswith("Votre compte sera supprimé le ")
    assert text.index("Bonjour") < text.index("Hello") and "unless you log in" in text
    assert sql(platform, "SELECT inactivity_warned_at FROM users WHERE id = $1", user_id)
    run_once(platform)  # again: no second warning
    # A witness idle since as long, warned by a later run: once that warning is in the sink,
    # a second warning to the person, which that run or an earlier one would have queued
    # before it, would be there too.
    witness, _witness_last, witness_id = new_employee(platform, first="Witness")
    age(platform, witness_id)
    run_once(platform)
    assert len(warnings_to(platform, witness)) == 1
    wait_quiet(platform)
    assert len(warnings_to(platform, email, timeout=1)) == 1
    # Thirty-one days later without a login: the erasure, opened for inactivity.
    warned_long_ago(platform, user_id)
    run_once(platform)
    dpo = platform.login("dpo@demo.test")
    deadline = time.monotonic() + 60
    while not (found := inactivity_requests(dpo, started)) and time.monotonic() < deadline:
        time.sleep(0.3)
    [request] = found
    assert request["type"] == "erasure"
    done = wait_done(dpo, request["id"], timeout=60)
    assert done["status"] == "completed", done
    report = done["report"]["identity"]
    assert set(report) == {"revoke_sessions", "erase"}  # the plan of any erasure
    tables = {t["table"]: t for t in report["erase"]["tables"]}
    assert tables["users"]["erased_rows"] == 1
    # The person can no longer log in; their session is over.
    with platform.client() as anonymous:
        login = {"tenant": "demo", "email": email, "password": PASSWORD}
        assert anonymous.post("/api/auth/login", json=login).status_code == 401
    assert logged_out(person)
    # Identity holds nothing about them but the connection log in the restricted archive.
    urls = platform.stack.config.database_urls
    found_rows = {
        name: asyncio.run(_rows_mentioning(urls[name], [email, last_name, user_id]))
        for name in ("identity", "privacy")
    }
    # Audit records (PR10) name the person by id and wait in the outbox until the privacy
    # service takes them; anything else there would be a leak.
    waiting = sql(
        platform,
        "SELECT coalesce(array_agg(DISTINCT type), '{}') FROM outbox"
        " WHERE sent_at IS NULL AND body LIKE '%' || $1 || '%'",
        user_id,
    )
    assert set(waiting) <= {"audit.recorded"}, waiting
    if set(waiting) == {"audit.recorded"}:
        found_rows["identity"].pop("outbox", None)
    assert set(found_rows["identity"]) <= {"restricted_archive"}, found_rows
    assert set(found_rows["identity"].get("restricted_archive", [])) <= {user_id}
    assert found_rows["privacy"] == {}, found_rows
    # The job again: nothing more is opened for the person. The witness's warning is a month
    # old now: the run opens theirs, and once it is there, a second one for the person,
    # opened by the same run, would be there too.
    warned_long_ago(platform, witness_id)
    run_once(platform)
    deadline = time.monotonic() + 60
    while len(found := inactivity_requests(dpo, started)) < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    wait_quiet(platform)
    found = inactivity_requests(dpo, started)
    assert len(found) == 2, found  # the person's, and the witness's
    assert request["id"] in {r["id"] for r in found}
    for other in found:
        assert wait_done(dpo, other["id"], timeout=60)["status"] == "completed"


def age(platform: Platform, user_id: str) -> None:
    """The account was made, and last used, two years and a day ago."""
    sql(
        platform,
        "UPDATE users SET created_at = created_at - interval '731 days',"
        " last_login_at = now() - interval '731 days' WHERE id = $1",
        user_id,
    )


def warned_long_ago(platform: Platform, user_id: str) -> None:
    """The account's warning was sent thirty-one days ago."""
    sql(
        platform,
        "UPDATE users SET inactivity_warned_at = inactivity_warned_at - interval '31 days'"
        " WHERE id = $1",
        user_id,
    )
