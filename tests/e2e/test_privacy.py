"""Data-subject requests end to end (issue 3): access archive, erasure with legal retention,
a stopped consumer, a RabbitMQ restart, through Nginx on PostgreSQL and RabbitMQ."""

import asyncio
import io
import json
import secrets
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from kit.events import Envelope
from kit.events.broker import Broker
from kit.privacy.protocol import COMMAND, PRIVACY, command_key
from tests.e2e.conftest import PASSWORD, Platform, wait_quiet

pytestmark = pytest.mark.e2e


def new_employee(
    platform: Platform, first: str = "Erin", last: str | None = None
) -> tuple[str, str, str]:
    """A fresh employee (email, last name, id), so a test can erase without touching demo data."""
    admin = platform.login("admin@demo.test")
    email = f"dsr-{secrets.token_hex(4)}@demo.test"
    last = last or f"Name{secrets.token_hex(3)}"
    body = {"email": email, "first_name": first, "last_name": last, "password": PASSWORD}
    created = admin.post("/api/users", json=body)
    assert created.status_code == 201, created.text
    return email, last, created.json()["id"]


def wait_done(client: httpx.Client, request_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/privacy/requests/{request_id}").json()
        if body["status"] in ("completed", "failed", "rejected"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"request {request_id} not done: {body}")


def test_access_archive_holds_my_data_and_nobody_elses(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    filed = alice.post("/api/privacy/requests", json={"type": "access"})
    assert filed.status_code == 202, filed.text
    request = filed.json()
    assert request["status"] == "in_progress"
    assert request["due_at"][:10] > request["received_at"][:10]
    done = wait_done(alice, request["id"])
    assert done["status"] == "completed"
    assert set(done["services"]) >= {"identity"} and set(done["services"].values()) == {"done"}
    assert done["archive"]["available"] is True
    response = alice.get(f"/api/privacy/requests/{request['id']}/archive")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = set(archive.namelist())
        everything = "\n".join(archive.read(n).decode() for n in names)
        identity = json.loads(archive.read("identity.json"))
        manifest = json.loads(archive.read("manifest.json"))
    assert {"identity.json", "privacy.json", "manifest.json", "README.txt"} <= names
    assert "csv/identity/users.csv" in names
    assert identity["users"][0]["email"] == "alice@demo.test"
    assert identity["login_events"], "the connection log is part of the export"
    assert "password_hash" not in identity["users"][0]
    assert "social_cultural_activities" in manifest["purposes"]
    # Filed without Accept-Language: French, the default.
    assert manifest["complaint"].startswith(
        "Vous pouvez introduire une réclamation auprès de la CNIL"
    )
    assert manifest["transfers_outside_eu"] == []  # the default processors are all in France
    for other in ("bob@demo.test", "carol@other.test", "Bernard", "admin@demo.test"):
        assert other not in everything


def test_others_get_404_on_my_request_and_archive(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    request = alice.post("/api/privacy/requests", json={"type": "portability"}).json()
    wait_done(alice, request["id"])
    bob, carol = platform.login("bob@demo.test"), platform.login("carol@other.test", tenant="other")
    dpo = platform.login("dpo@demo.test")
    for client in (bob, carol):
        assert client.get(f"/api/privacy/requests/{request['id']}").status_code == 404
        assert client.get(f"/api/privacy/requests/{request['id']}/archive").status_code == 404
    assert dpo.get(f"/api/privacy/requests/{request['id']}").status_code == 200  # the DPO's queue
    assert (
        dpo.get(f"/api/privacy/requests/{request['id']}/archive").status_code == 404
    )  # not theirs
    queue = dpo.get("/api/privacy/requests", params={"scope": "tenant"}).json()
    assert request["id"] in {r["id"] for r in queue}
    assert bob.get("/api/privacy/requests", params={"scope": "tenant"}).status_code == 403


async def _rows_mentioning(url: str, values: list[str]) -> dict[str, list[str]]:
    """Every table of a database, every row as text: which tables mention any of ``values``."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        found: dict[str, list[str]] = {}
        for row in tables:
            name = row["tablename"]
            for record in await conn.fetch(f'SELECT * FROM "{name}"'):
                text = json.dumps([str(v) for v in record.values()])
                hits = [v for v in values if v in text]
                if hits:
                    found.setdefault(name, []).extend(hits)
        return found
    finally:
        await conn.close()


def test_erasure_leaves_only_the_declared_legal_record(platform: Platform) -> None:
    email, last_name, user_id = new_employee(platform, first="Erasmus")
    person = platform.login(email)
    assert person.get("/api/auth/me").status_code == 200
    # Data in every service: an order, a family profile, a support conversation.
    offers = person.get("/api/offers").json()
    ticket_offer = next(o for o in offers if o["kind"] == "ticket")
    placed = person.post(
        "/api/orders", json={"items": [{"offer_id": ticket_offer["id"], "quantity": 1}]}
    )
    assert placed.status_code == 201, placed.text
    profile = person.put("/api/subsidies/profile", json={"children_count": 1})
    assert profile.status_code in (200, 201), profile.text
    ticket = person.post("/api/tickets", json={"subject": "Erasmus", "message": "Erasmus"})
    assert ticket.status_code == 201, ticket.text
    filed = person.post("/api/privacy/requests", json={"type": "erasure"})
    assert filed.status_code == 202
    request_id = filed.json()["id"]
    dpo = platform.login("dpo@demo.test")
    done = wait_done(dpo, request_id)
    assert done["status"] == "completed"
    report = done["report"]["identity"]
    assert report["revoke_sessions"]["sessions_revoked"] >= 1
    assert report["revoke_sessions"]["login_disabled"] is True
    tables = {t["table"]: t for t in report["erase"]["tables"]}
    assert tables["users"]["erased_rows"] == 1 and tables["users"]["kept_rows"] == 0
    assert tables["login_events"]["kept_rows"] == 1
    assert tables["login_events"]["legal_basis"] == "legal_obligation"
    assert tables["login_events"]["kept_until"][:4] == str(int(done["completed_at"][:4]) + 1)
    # The person cannot log in any more.
    with platform.client() as anonymous:
        login = anonymous.post(
            "/api/auth/login", json={"tenant": "demo", "email": email, "password": PASSWORD}
        )
        assert login.status_code == 401
    # A read may be served from the gateway's 2 s cache, counted in whole seconds: up to 3 s.
    deadline = time.monotonic() + 4
    while person.get("/api/auth/me").status_code != 401:
        assert time.monotonic() < deadline, "the erased person's session still reads"
        time.sleep(0.25)
    # No declared personal value anywhere, except the connection log in the restricted archive.
    urls = platform.stack.config.database_urls
    found = {
        name: asyncio.run(_rows_mentioning(url, [email, last_name, "Erasmus", user_id]))
        for name, url in urls.items()
    }
    assert set(found) == {"identity", "orders", "subsidies", "support", "privacy"}
    assert found["privacy"] == {}, found
    # What each service declares it keeps (the retained columns of its legal records): the
    # connection log under the account id; the purchase record, with the order's contact.
    declared = {
        "identity": {user_id},
        "orders": {user_id, email},
        "subsidies": set[str](),
        "support": set[str](),
    }
    for service, allowed in declared.items():
        # Each service held something and erased it; what the law keeps waits in its
        # restricted archive, and only as its report says.
        tables = done["report"][service]["erase"]["tables"]
        assert sum(t["erased_rows"] for t in tables) >= 1, (service, tables)
        assert set(found[service]) <= {"restricted_archive"}, (service, found)
        assert set(found[service].get("restricted_archive", [])) <= allowed, (service, found)
        if found[service]:
            assert any(t["kept_rows"] for t in tables), (service, tables)


def _rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """A service's erasure answer without the texts added for the reader."""
    said = {"reason", "basis_name", "exemption"}
    return [{k: v for k, v in t.items() if k not in said} for t in answer.get("tables", [])]


def test_second_identical_erasure_is_harmless(platform: Platform) -> None:
    email, _, user_id = new_employee(platform)
    person = platform.login(email)
    # Identity's worker held: the first erasure cannot end the session before the second
    # filing, which must find the first request.
    _process_signal(platform, "identity-worker", signal.SIGSTOP)
    try:
        first = person.post("/api/privacy/requests", json={"type": "erasure"})
        second = person.post("/api/privacy/requests", json={"type": "erasure"})
    finally:
        _process_signal(platform, "identity-worker", signal.SIGCONT)
    assert first.status_code == second.status_code == 202, (first.text, second.text)
    assert second.json()["id"] == first.json()["id"]
    request_id = first.json()["id"]
    dpo = platform.login("dpo@demo.test")
    done = wait_done(dpo, request_id)
    assert done["status"] == "completed"
    # The erase command delivered again (a new message, as the privacy service's retry sends):
    # once identity has consumed it, it has answered from its first report and erased nothing.
    identity_db = platform.stack.config.database_urls["identity"]
    handled = asyncio.run(_handled(identity_db, request_id))
    # The report as served says why in the reader's language (reason, basis_name, exemption:
    # privacy adds and translates them when read); the rows are identity's, unchanged.
    assert _rows(handled["erase"]) == _rows(done["report"]["identity"]["erase"])
    assert _rows(handled["erase"])  # identity's report names its tables
    tenant = asyncio.run(_tenant_id(identity_db, "demo"))
    payload = {"request_id": request_id, "action": "erase", "subject": user_id, "tenant": tenant}
    envelope_id = asyncio.run(_send_command(platform, "identity", tenant, user_id, payload))
    deadline = time.monotonic() + 30
    while not asyncio.run(_consumed(identity_db, envelope_id)):
        assert time.monotonic() < deadline, "the repeated command was never consumed"
        time.sleep(0.2)
    assert asyncio.run(_handled(identity_db, request_id)) == handled  # no second effect
    assert not asyncio.run(_user_exists(identity_db, user_id))
    again = dpo.get(f"/api/privacy/requests/{request_id}").json()
    assert (again["status"], again["report"]) == ("completed", done["report"])


async def _send_command(
    platform: Platform, service: str, tenant: str, subject: str, payload: dict[str, Any]
) -> str:
    """A data-subject command to ``service``, published as the privacy service publishes it
    (its broker account, the stack's exchange); returns the message's envelope id."""
    env = platform.service_env(PRIVACY)
    broker = Broker(env["AMQP_URL"], env["EVENTS_EXCHANGE"])
    envelope = Envelope(
        type=COMMAND, source=PRIVACY, tenant=tenant, subject=subject, payload=payload
    )
    try:
        await broker.publish(
            envelope.model_dump_json().encode(),
            routing_key=command_key(service),
            message_id=envelope.id,
            mandatory=True,
        )
    finally:
        await broker.close()
    return envelope.id


async def _handled(url: str, request_id: str) -> dict[str, Any]:
    """The service's recorded effects of a request: action -> report."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT action, result FROM dsr_handled WHERE request_id = $1", request_id
        )
        return {
            str(r["action"]): json.loads(r["result"])
            if isinstance(r["result"], str)
            else r["result"]
            for r in rows
        }
    finally:
        await conn.close()


async def _consumed(url: str, event_id: str) -> bool:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event_id))
    finally:
        await conn.close()


async def _tenant_id(url: str, slug: str) -> str:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return str(await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug))
    finally:
        await conn.close()


def _process_signal(platform: Platform, name: str, signum: int) -> None:
    process = platform.stack.process(name)
    assert process.popen is not None
    process.popen.send_signal(signum)


def test_a_stopped_consumer_delays_the_request_without_losing_or_repeating(
    platform: Platform,
) -> None:
    email, _, user_id = new_employee(platform)
    person = platform.login(email)
    dpo = platform.login("dpo@demo.test")
    _process_signal(platform, "identity-worker", signal.SIGSTOP)
    try:
        request_id = person.post("/api/privacy/requests", json={"type": "restriction"}).json()["id"]
        # The privacy service sends the command again every 2 s meanwhile: three sends seen.
        privacy_db = platform.stack.config.database_urls["privacy"]
        deadline = time.monotonic() + 30
        while asyncio.run(_attempts(privacy_db, request_id)) < 3:
            assert time.monotonic() < deadline, "the command was not sent again"
            time.sleep(0.2)
        waiting = dpo.get(f"/api/privacy/requests/{request_id}").json()
        assert waiting["status"] == "in_progress"
        assert waiting["services"]["identity"] == "waiting"
    finally:
        _process_signal(platform, "identity-worker", signal.SIGCONT)
    assert wait_done(dpo, request_id)["status"] == "completed"
    counts = asyncio.run(
        _count_effects(platform.stack.config.database_urls["identity"], request_id, user_id)
    )
    assert counts == (1, 1)  # several commands were delivered; one effect
    assert asyncio.run(_attempts(platform.stack.config.database_urls["privacy"], request_id)) >= 3


async def _attempts(url: str, request_id: str, service: str = "identity") -> int:
    """How many times the privacy service sent a request's command to ``service``."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        found = await conn.fetchval(
            "SELECT coalesce(sum(attempts), 0) FROM tasks WHERE request_id = $1 AND service = $2",
            request_id,
            service,
        )
        return int(found)
    finally:
        await conn.close()


async def _count_effects(url: str, request_id: str, user_id: str) -> tuple[int, int]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        handled = await conn.fetchval(
            "SELECT count(*) FROM dsr_handled WHERE request_id = $1", request_id
        )
        restricted = await conn.fetchval(
            "SELECT count(*) FROM restrictions WHERE subject = $1", user_id
        )
        return int(handled), int(restricted)
    finally:
        await conn.close()


def test_request_completes_across_a_rabbitmq_restart(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    _process_signal(platform, "identity-worker", signal.SIGSTOP)  # the request is in flight
    try:
        filed = alice.post("/api/privacy/requests", json={"type": "access"})
        assert filed.status_code == 202
        time.sleep(0.5)
        subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, timeout=120)
        try:
            time.sleep(1)
        finally:
            subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, timeout=120)
        assert (
            alice.get(f"/api/privacy/requests/{filed.json()['id']}").json()["status"]
            == "in_progress"
        )
    finally:
        _process_signal(platform, "identity-worker", signal.SIGCONT)
    assert wait_done(alice, filed.json()["id"], timeout=90)["status"] == "completed"


def test_dpo_extends_a_request_once_with_a_reason(platform: Platform) -> None:
    bob = platform.login("bob@demo.test")
    dpo = platform.login("dpo@demo.test")
    _process_signal(platform, "identity-worker", signal.SIGSTOP)
    try:
        request_id = bob.post("/api/privacy/requests", json={"type": "objection"}).json()["id"]
        assert (
            bob.post(
                f"/api/privacy/requests/{request_id}/extend",
                json={"months": 2, "reason": "many files"},
            ).status_code
            == 403
        )
        extended = dpo.post(
            f"/api/privacy/requests/{request_id}/extend",
            json={"months": 2, "reason": "complex case, several archives"},
        )
        assert extended.status_code == 200, extended.text
        assert (
            extended.json()["due_at"]
            > bob.get(f"/api/privacy/requests/{request_id}").json()["received_at"]
        )
        again = dpo.post(
            f"/api/privacy/requests/{request_id}/extend",
            json={"months": 1, "reason": "once more please"},
        )
        assert again.status_code == 409
        too_long = dpo.post(
            f"/api/privacy/requests/{request_id}/extend", json={"months": 3, "reason": "x" * 10}
        )
        assert too_long.status_code == 422
    finally:
        _process_signal(platform, "identity-worker", signal.SIGCONT)
    wait_done(dpo, request_id)


@pytest.mark.parametrize(
    "body",
    [
        {"type": "everything"},
        {"type": "rectification"},
        {"type": "rectification", "corrections": {"users.first_name": "X"}},
        {"type": "access", "extra": 1},
        {"type": "rectification", "corrections": {"identity.users.first_name": "A\u0000B"}},
    ],
)
def test_bad_requests_are_4xx_and_change_nothing(platform: Platform, body: dict[str, Any]) -> None:
    bob = platform.login("bob@demo.test")
    before = len(bob.get("/api/privacy/requests").json())
    response = bob.post(
        "/api/privacy/requests",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert len(bob.get("/api/privacy/requests").json()) == before


def test_rectification_corrects_provided_data_only(platform: Platform) -> None:
    email, _, _ = new_employee(platform, first="Wrongname")
    person = platform.login(email)
    body = {
        "type": "rectification",
        "corrections": {
            "identity.users.first_name": "  Rightname ",
            "identity.users.roles": "platform_admin",
            "identity.users.email": "someone.else@demo.test",
            "identity.users.tenant_id": "other",
            "identity.nosuch.field": "x",
        },
    }
    request_id = person.post("/api/privacy/requests", json=body).json()["id"]
    done = wait_done(person, request_id)
    assert done["status"] == "completed"
    result = done["report"]["identity"]["rectify"]
    assert result["applied"] == ["users.first_name"]
    assert set(result["refused"]) == {
        "users.roles",
        "users.email",
        "users.tenant_id",
        "nosuch.field",
    }
    me = person.get("/api/auth/me").json()
    assert me["first_name"] == "Rightname"
    assert me["roles"] == ["employee"] and me["email"] == email and me["tenant"] == "demo"


def test_dpo_contact_is_public(anonymous: httpx.Client) -> None:
    """Art. 37(7): the DPO's contact, published: every field filled in, a mail address."""
    response = anonymous.get("/api/privacy/dpo")
    assert response.status_code == 200
    contact = response.json()
    assert set(contact) == {"name", "email", "address"}
    for field, value in contact.items():
        assert isinstance(value, str) and value.strip(), field
    local, _, domain = contact["email"].partition("@")
    assert local and "." in domain, contact["email"]


async def _restore_user(url: str, user_id: str, email: str) -> None:
    """What restoring yesterday's backup does: the erased account is back."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tenant = await conn.fetchval("SELECT id FROM tenants WHERE slug = 'demo'")
        await conn.execute(
            "INSERT INTO users"
            " (id, tenant_id, email, first_name, last_name, roles, is_active, created_at)"
            " VALUES ($1, $2, $3, 'Restored', 'Frombackup', '[\"employee\"]', true, now())",
            user_id,
            tenant,
            email,
        )
    finally:
        await conn.close()


async def _user_exists(url: str, user_id: str) -> bool:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM users WHERE id = $1", user_id))
    finally:
        await conn.close()


def test_erasures_are_applied_again_after_a_restore(platform: Platform) -> None:
    email, _, user_id = new_employee(platform)
    person = platform.login(email)
    request_id = person.post("/api/privacy/requests", json={"type": "erasure"}).json()["id"]
    assert wait_done(platform.login("dpo@demo.test"), request_id)["status"] == "completed"
    identity_db = platform.stack.config.database_urls["identity"]
    asyncio.run(_restore_user(identity_db, user_id, email))
    assert asyncio.run(_user_exists(identity_db, user_id))
    replay = subprocess.run(
        [sys.executable, "-m", "privacy.forget", "replay"],
        env=platform.service_env("privacy"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "re-erasure of" in replay.stdout
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and asyncio.run(_user_exists(identity_db, user_id)):
        time.sleep(0.2)
    assert not asyncio.run(_user_exists(identity_db, user_id))
    assert asyncio.run(
        _user_exists(identity_db, platform.login("bob@demo.test").get("/api/auth/me").json()["id"])
    )


def test_dpo_files_a_request_received_by_post(platform: Platform) -> None:
    dpo, bob = platform.login("dpo@demo.test"), platform.login("bob@demo.test")
    body = {
        "type": "access",
        "email": "bob@demo.test",
        "channel": "post",
        "identity_check": "signed letter matches the employee file; no ID copy kept",
        "verify_by_code": False,  # checked already: the request runs at once
    }
    filed = dpo.post("/api/privacy/requests/on-behalf", json=body)
    assert filed.status_code == 202, filed.text
    assert filed.json()["channel"] == "post"
    done = wait_done(dpo, filed.json()["id"])
    assert done["status"] == "completed"
    assert filed.json()["id"] in {r["id"] for r in bob.get("/api/privacy/requests").json()}
    assert bob.get(f"/api/privacy/requests/{done['id']}/archive").status_code == 200
    assert dpo.get(f"/api/privacy/requests/{done['id']}/archive").status_code == 404
    for email in ("nobody@demo.test", "carol@other.test"):
        assert (
            dpo.post("/api/privacy/requests/on-behalf", json=body | {"email": email}).status_code
            == 404
        )
    assert bob.post("/api/privacy/requests/on-behalf", json=body).status_code == 403
    no_check = {k: v for k, v in body.items() if k != "identity_check"}
    assert dpo.post("/api/privacy/requests/on-behalf", json=no_check).status_code == 422


def test_a_filing_sent_again_with_its_idempotency_key_gets_the_first_request(
    platform: Platform,
) -> None:
    """A client that lost the answer (a service killed after its commit) sends the same filing
    with the same Idempotency-Key: it gets the first request, even after the erasure removed
    the account (without the key, that retry would be a 404 'no account')."""
    dpo = platform.login("dpo@demo.test")
    email, _, _ = new_employee(platform)
    body = {
        "type": "erasure",
        "email": email,
        "channel": "email",
        "identity_check": "checked against the employee file",
        "verify_by_code": False,
    }
    key = {"Idempotency-Key": secrets.token_hex(16)}
    filed = dpo.post("/api/privacy/requests/on-behalf", json=body, headers=key)
    assert filed.status_code == 202, filed.text
    assert wait_done(dpo, filed.json()["id"])["status"] == "completed"
    again = dpo.post("/api/privacy/requests/on-behalf", json=body, headers=key)
    assert again.status_code == 202, again.text
    assert again.json()["id"] == filed.json()["id"]
    other_key = {"Idempotency-Key": secrets.token_hex(16)}
    assert (
        dpo.post("/api/privacy/requests/on-behalf", json=body, headers=other_key).status_code == 404
    )
    # A person's own filing: the same key twice is one request; a malformed key is a 422.
    bob = platform.login("bob@demo.test")
    mine = {"Idempotency-Key": secrets.token_hex(16)}
    first = bob.post("/api/privacy/requests", json={"type": "access"}, headers=mine)
    second = bob.post("/api/privacy/requests", json={"type": "access"}, headers=mine)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    bad = bob.post(
        "/api/privacy/requests", json={"type": "access"}, headers={"Idempotency-Key": "a b"}
    )
    assert bad.status_code == 422


def test_an_export_can_be_cancelled_before_it_is_made_but_an_erasure_cannot(
    platform: Platform,
) -> None:
    email, _, _ = new_employee(platform)
    person = platform.login(email)
    _process_signal(platform, "identity-worker", signal.SIGSTOP)
    try:
        export = person.post("/api/privacy/requests", json={"type": "access"}).json()
        cancelled = person.post(f"/api/privacy/requests/{export['id']}/cancel")
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        restriction = person.post("/api/privacy/requests", json={"type": "restriction"}).json()
        assert person.post(f"/api/privacy/requests/{restriction['id']}/cancel").status_code == 409
    finally:
        _process_signal(platform, "identity-worker", signal.SIGCONT)
    # The restriction, sent after the export's command, is carried out; then nothing is in
    # flight: the export's command was consumed, its answer came back and was handled.
    assert wait_done(person, restriction["id"])["status"] == "completed"
    wait_quiet(platform)
    assert person.get(f"/api/privacy/requests/{export['id']}").json()["status"] == "cancelled"
    assert person.post(f"/api/privacy/requests/{export['id']}/cancel").status_code == 409


def test_dpo_lifts_a_restriction(platform: Platform) -> None:
    email, _, user_id = new_employee(platform)
    person, dpo = platform.login(email), platform.login("dpo@demo.test")
    request_id = person.post("/api/privacy/requests", json={"type": "restriction"}).json()["id"]
    assert wait_done(person, request_id)["status"] == "completed"
    identity_db = platform.stack.config.database_urls["identity"]
    assert asyncio.run(_count_effects(identity_db, request_id, user_id))[1] == 1
    admin = platform.login("admin@demo.test")
    listed = {u["id"]: u for u in admin.get("/api/users").json()}[user_id]
    assert listed["restricted"] is True and listed["email"] == "" and listed["last_name"] == ""
    assert person.post(f"/api/privacy/requests/{request_id}/lift").status_code == 403
    lifted = dpo.post(f"/api/privacy/requests/{request_id}/lift")
    assert lifted.status_code == 202, lifted.text
    done = wait_done(dpo, request_id)
    assert done["status"] == "completed"
    assert asyncio.run(_count_effects(identity_db, request_id, user_id))[1] == 0
    assert dpo.post(f"/api/privacy/requests/{request_id}/lift").status_code == 409
    assert done["report"]["identity"]["lift_restriction"]["told"] is True
    listed = {u["id"]: u for u in admin.get("/api/users").json()}[user_id]
    assert listed["restricted"] is False and listed["email"] == email
    # The person is told (Art. 18(3)): the mail is in the local SMTP sink.
    deadline, found = time.monotonic() + 15, list[Path]()
    while not found and time.monotonic() < deadline:
        mails = (platform.var_dir / "mail").glob("*.eml")
        found = [m for m in mails if f"To: {email}" in m.read_text(errors="replace")]
        time.sleep(0.2)
    assert found, "no mail to the person"
    assert "no longer restricted" in found[0].read_text()


def test_objection_is_recorded_in_every_service(platform: Platform) -> None:
    email, _, user_id = new_employee(platform)
    person = platform.login(email)
    request_id = person.post("/api/privacy/requests", json={"type": "objection"}).json()["id"]
    done = wait_done(person, request_id)
    assert done["status"] == "completed"
    holders = ("identity", "orders", "subsidies", "support")
    assert set(done["report"]) == set(holders), done["report"]
    urls = platform.stack.config.database_urls
    for service in holders:
        assert done["report"][service]["object"] == {"objected": True}, service
        # Recorded where the service looks before any direct marketing (Art. 21(3)).
        assert asyncio.run(_objections(urls[service], user_id)) == 1, service


async def _objections(url: str, subject: str) -> int:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM objections WHERE subject = $1", subject)
        )
    finally:
        await conn.close()
