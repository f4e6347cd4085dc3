"""Issue 14: after an erasure on the local run's shape (every service on its own SQLite file
under var/), none of the person's values can be read in the raw bytes of any database file:
not in the database, not in its ``-wal`` (old page images), ``-shm`` or ``-journal``, not in
the free space of a page or in a freed page, not in an index.

The platform runs through the real gateway on a stack of its own (SQLite, its own ports,
exchange and var/ folder). The person is given data in identity (the account, a rectified
first name: an UPDATE leaves the old value behind), in support (a ticket and its messages) and
in privacy (the rectification's corrections), then files an erasure; once it completes, every
database file under the stack's var/ is scanned for the values, in UTF-8 and UTF-16.
"""

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.rabbitmq import deprovision
from devstack.stack import ROOT, Stack, StackConfig
from tests.conftest import AMQP_URL
from tests.e2e.conftest import PASSWORD, SHIFT, TOTP_SECRET, Platform
from tests.e2e.test_privacy import new_employee, wait_done

pytestmark = pytest.mark.e2e

#: Its own ports, beside any e2e, browser or bench stack of any E2E_SHIFT: theirs end in
#: 443/080 (gateway) and 025-205 (services, replicas, workers, mail sink) within each thousand,
#: these in 543/180 and 525-705.
HTTPS_PORT = 18543 + 1000 * SHIFT
HTTP_PORT = 18180 + 1000 * SHIFT
PORT_OFFSET = 10500 + 1000 * SHIFT
NAME = f"sqlitewipe{SHIFT or ''}"
#: SQLite writes these beside a database: the write-ahead log, its shared-memory index and the
#: rollback journal (the first page of a database file starts with ``SQLITE_MAGIC``).
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
SQLITE_MAGIC = b"SQLite format 3\x00"


@pytest.fixture(scope="module")
def sqlite_platform() -> Iterator[Platform]:
    """The platform as ``make run`` starts it (SQLite per service under var/), on test ports."""
    var_dir = ROOT / "var" / NAME
    for old in sorted((var_dir / "db").glob("*")):  # a fresh start: no file of a former run
        old.unlink()
    config = StackConfig(
        var_dir=var_dir,
        http_port=HTTP_PORT,
        https_port=HTTPS_PORT,
        port_offset=PORT_OFFSET,
        amqp_url=AMQP_URL,
        environment="test",
        login_rate="600r/m",
        login_burst=50,
        demo_password=PASSWORD,
        extra_env={
            "EVENTS_EXCHANGE": f"{NAME}.events",
            "LOG_LEVEL": "INFO",
            "RETRY_SECONDS": "2",
            "DEMO_TOTP_SECRET": TOTP_SECRET,
        },
    )
    stack = Stack(config, say=print)
    try:
        stack.prepare()
        stack.start()
        yield Platform(
            stack, f"https://localhost:{HTTPS_PORT}", var_dir / "tls" / "gateway.crt", var_dir
        )
    finally:
        stack.stop()
        deprovision(stack.exchange, AMQP_URL)


def database_files(var_dir: Path) -> list[Path]:
    """Every file under ``db/``, and any other SQLite file or side file under ``var_dir``."""
    found = {p for p in (var_dir / "db").rglob("*") if p.is_file()}
    for path in var_dir.rglob("*"):
        if not path.is_file() or path in found:
            continue
        if path.name.endswith(SQLITE_SIDE_FILES):
            found.add(path)
            continue
        with path.open("rb") as file:
            if file.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
                found.add(path)
    return sorted(found)


def readable(var_dir: Path, values: list[str]) -> dict[str, list[str]]:
    """Which of ``values`` can be read in which database file (UTF-8 or UTF-16, either order)."""
    found: dict[str, list[str]] = {}
    for path in database_files(var_dir):
        raw = path.read_bytes()
        for value in values:
            encodings = (value.encode(), value.encode("utf-16-le"), value.encode("utf-16-be"))
            if any(encoded in raw for encoded in encodings):
                found.setdefault(str(path.relative_to(var_dir)), []).append(value)
    return found


def test_nothing_erased_stays_readable_in_the_database_files(sqlite_platform: Platform) -> None:
    platform = sqlite_platform
    tag = secrets.token_hex(4)
    first, rectified = f"Wipefirst{tag}", f"Wiperight{tag}"
    email, last, _ = new_employee(platform, first=first, last=f"Wipelast{tag}")
    ticket_subject, message, answer = f"Wipesubject{tag}", f"Wipemessage{tag}", f"Wipeanswer{tag}"
    person = platform.login(email)
    ticket = person.post(
        "/api/tickets",
        json={"subject": ticket_subject, "message": f"{message}: my payslip is wrong"},
    )
    assert ticket.status_code == 201, ticket.text
    more = person.post(
        f"/api/tickets/{ticket.json()['id']}/messages", json={"body": f"{answer} (the person)"}
    )
    assert more.status_code == 201, more.text
    dpo = platform.login("dpo@demo.test")
    fix = person.post(
        "/api/privacy/requests",
        json={"type": "rectification", "corrections": {"identity.users.first_name": rectified}},
    )
    assert fix.status_code == 202, fix.text
    assert wait_done(dpo, fix.json()["id"])["status"] == "completed"
    assert person.get("/api/auth/me").json()["first_name"] == rectified
    values = [email, first, rectified, last, ticket_subject, message, answer]
    before = readable(platform.var_dir, values)
    # The scan sees what is there: before the erasure, every value is in some file.
    assert set(values) == {v for hits in before.values() for v in hits}, before

    filed = person.post("/api/privacy/requests", json={"type": "erasure"})
    assert filed.status_code == 202, filed.text
    done = wait_done(dpo, filed.json()["id"], timeout=60)
    assert done["status"] == "completed", done
    # The last checkpoints run as each service's erasure commits: a few seconds at most.
    deadline = time.monotonic() + 10
    while (left := readable(platform.var_dir, values)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == {}, f"erased values still readable in the database files: {left}"
