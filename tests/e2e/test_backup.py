"""The backup drill (X3): back up, erase a person, restore, and the restore's replay of
erasures makes the person gone again while everything else is back."""

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from tests.e2e.conftest import PASSWORD, Platform
from tests.e2e.test_privacy import new_employee, wait_done

pytestmark = pytest.mark.e2e


async def _count(url: str, query: str, *args: str) -> int:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return int(await conn.fetchval(query, *args))
    finally:
        await conn.close()


def tickets_of(platform: Platform, user_id: str) -> int:
    url = platform.stack.config.database_urls["support"]
    return asyncio.run(_count(url, "SELECT count(*) FROM tickets WHERE requester_id = $1", user_id))


def account_exists(platform: Platform, user_id: str) -> bool:
    url = platform.stack.config.database_urls["identity"]
    return asyncio.run(_count(url, "SELECT count(*) FROM users WHERE id = $1", user_id)) == 1


def cli(platform: Platform, var_dir: Path, *args: str) -> str:
    env = platform.service_env("privacy") | {"BACKUP_KEY": "drill-backup-key"}
    urls = json.dumps(platform.stack.config.database_urls)
    result = subprocess.run(
        [sys.executable, "-m", "devstack.backup", "--var-dir", str(var_dir), "--urls", urls, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_restore_erases_again_who_was_erased_since_the_backup(
    platform: Platform, tmp_path: Path
) -> None:
    (gone, _l1, gone_id), (kept, _l2, kept_id) = new_employee(platform), new_employee(platform)
    for email in (gone, kept):
        ticket = platform.login(email).post(
            "/api/tickets", json={"subject": "Drill", "message": "x"}
        )
        assert ticket.status_code == 201
    # The backup folder lives in the stack's var/, like make backup's.
    backups = platform.var_dir
    out = cli(platform, backups, "backup")
    folder = Path(out.strip().rsplit(" ", 1)[-1])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["services"]) == set(platform.stack.config.database_urls)
    assert b"Drill" not in (folder / "support.dump.enc").read_bytes()  # encrypted
    erasure = platform.login(gone).post("/api/privacy/requests", json={"type": "erasure"}).json()
    assert wait_done(platform.login("dpo@demo.test"), erasure["id"])["status"] == "completed"
    assert tickets_of(platform, gone_id) == 0 and not account_exists(platform, gone_id)
    # Restore support, identity and privacy: the erased person comes back with them...
    restored = cli(platform, backups, "restore", str(folder), "support", "identity", "privacy")
    assert "restored support, identity, privacy" in restored
    # ...and the replay that every restore runs erases them again; the other person stays.
    deadline = time.monotonic() + 30
    while tickets_of(platform, gone_id) or account_exists(platform, gone_id):
        assert time.monotonic() < deadline, "the restored person was never erased again"
        time.sleep(0.5)
    assert tickets_of(platform, kept_id) == 1 and account_exists(platform, kept_id)
    with platform.client() as anonymous:
        login = anonymous.post(
            "/api/auth/login", json={"tenant": "demo", "email": gone, "password": PASSWORD}
        )
        assert login.status_code == 401
    assert platform.login(kept).get("/api/tickets").status_code == 200
