"""The DPO's governance tools through the gateway: the register of processing (PR7), breaches
and their notifications (PR8), processors (PR9); none of it for anyone but the DPO."""

import asyncio
import csv
import io
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.stack import ROOT
from tests.e2e.conftest import PASSWORD, Platform
from tests.e2e.test_governance import mail_marker
from tests.e2e.test_privacy import new_employee

pytestmark = pytest.mark.e2e

PURPOSES = [
    "site_communication",
    "social_cultural_activities",
    "order_processing",
    "support_requests",
    "partner_listing",
]
BREACH_SUBJECT = "A data breach concerning your data"


def dpo(platform: Platform) -> httpx.Client:
    """The DPO, reading in English (the texts below are checked in English; French, the
    default, in ``test_languages.py``)."""
    client = platform.login("dpo@demo.test")
    client.headers["Accept-Language"] = "en"
    return client


def declared_register(client: httpx.Client, timeout: float = 60) -> dict[str, Any]:
    """The register once every service's worker has published its declarations."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/api/privacy/register")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if not body["services_not_declared"] or time.monotonic() > deadline:
            assert body["services_not_declared"] == [], "declarations never arrived"
            return body
        time.sleep(0.3)


def breach_body(**changes: Any) -> dict[str, Any]:
    body = {
        "aware_at": (datetime.now(UTC) - timedelta(hours=60)).isoformat(),
        "nature": "A support export was sent to the wrong partner by mistake.",
        "services": ["support"],
        "categories": ["support conversation"],
        "consequences": "Someone outside the platform may have read your support messages.",
        "measures": "The partner confirmed deleting the file; exports now need two people.",
        "encrypted": False,
    }
    return body | changes


def iso(moment: datetime) -> str:
    return moment.isoformat()


# -- the register ----------------------------------------------------------------------------------


def test_the_register_lists_every_purpose_with_every_field(platform: Platform) -> None:
    client = dpo(platform)
    register = declared_register(client)
    assert register["controller"]["name"] and register["dpo"]["email"]
    assert [p["purpose"] for p in register["purposes"]] == PURPOSES
    services_of: dict[str, set[str]] = {}
    for purpose in register["purposes"]:
        for key, value in purpose.items():
            assert value, f"{purpose['purpose']}: {key} is empty"
        assert purpose["legal_basis"]["basis"] and purpose["legal_basis"]["reason"]
        assert purpose["legal_basis"]["article"].startswith("Art. 6(1)")
        assert purpose["retention"]["summary"] and purpose["retention"]["tables"]
        assert purpose["transfers_outside_eu"].startswith("none")
        services_of[purpose["purpose"]] = {e["service"] for e in purpose["categories_of_data"]}
    # Gathered from what each service declared at start.
    assert {"privacy", "identity"} <= services_of["site_communication"]
    assert {"identity", "subsidies"} <= services_of["social_cultural_activities"]
    assert services_of["order_processing"] == {"orders"}
    assert services_of["support_requests"] == {"support"}
    assert services_of["partner_listing"] == {"support"}
    orders = register["purposes"][2]
    assert "fulfilment partners" in orders["recipients"]
    assert {p["name"] for p in register["processors"]} >= {
        "Hosting provider",
        "Email relay",
        "Payment provider",
    }

    as_csv = client.get("/api/privacy/register", params={"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {r["purpose"] for r in rows} == set(PURPOSES)
    assert len(rows) == sum(
        len(e["categories"]) for p in register["purposes"] for e in p["categories_of_data"]
    )
    for row in rows:
        empty = [k for k, v in row.items() if not v and k != "other_legal_bases"]
        assert not empty, (row["purpose"], empty)

    # The HTML page escapes what it shows (a processor's name is the DPO's input).
    tricky = client.post(
        "/api/privacy/processors",
        json={
            "name": "<script>alert(1)</script> Backup & Co",
            "role": "off-site backups",
            "data_categories": ["every category"],
            "location": "DE",
        },
    )
    assert tricky.status_code == 201, tricky.text
    try:
        page = client.get("/api/privacy/register", params={"format": "html"})
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.text.startswith("<!DOCTYPE html>")
        for purpose in register["purposes"]:
            assert purpose["title"] in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Backup &amp; Co" in page.text
        assert "<script>" not in page.text
    finally:
        assert client.delete(f"/api/privacy/processors/{tricky.json()['id']}").status_code == 204
    assert client.get("/api/privacy/register", params={"format": "pdf"}).status_code == 422


# -- processors ------------------------------------------------------------------------------------


def test_a_processor_outside_the_eu_needs_a_safeguard(platform: Platform) -> None:
    client = dpo(platform)
    listed = client.get("/api/privacy/processors")
    assert listed.status_code == 200
    assert all(p["in_eu_eea"] for p in listed.json())
    body = {
        "name": "Analytics Inc.",
        "role": "usage statistics",
        "data_categories": ["connection data"],
        "location": "US",
    }
    refused = client.post("/api/privacy/processors", json=body)
    assert refused.status_code == 422
    assert "outside the EU/EEA" in refused.json()["detail"]
    assert "safeguard" in refused.json()["detail"]
    unknown = client.post("/api/privacy/processors", json=body | {"location": "ZZ"})
    assert unknown.status_code == 422 and "ISO 3166" in unknown.json()["detail"]
    assert client.post("/api/privacy/processors", json=body | {"location": "NO"}).status_code == 201
    safeguard = "standard contractual clauses (Decision 2021/914), module 2"
    added = client.post("/api/privacy/processors", json=body | {"safeguard": safeguard})
    assert added.status_code == 201, added.text
    processor = added.json()
    assert (processor["location"], processor["in_eu_eea"], processor["safeguard"]) == (
        "US",
        False,
        safeguard,
    )
    try:
        register = client.get("/api/privacy/register").json()
        assert processor["id"] in {p["id"] for p in register["processors"]}
        for purpose in register["purposes"]:
            assert f"Analytics Inc. (US): {safeguard}" in purpose["transfers_outside_eu"]
    finally:
        for p in client.get("/api/privacy/processors").json():
            if p["name"] == "Analytics Inc.":
                assert client.delete(f"/api/privacy/processors/{p['id']}").status_code == 204
    assert client.delete(f"/api/privacy/processors/{processor['id']}").status_code == 404
    register = client.get("/api/privacy/register").json()
    assert all(p["transfers_outside_eu"].startswith("none") for p in register["purposes"])


#: Accounts of this module (tenant, email, first name, last name, roles): the other tenant's
#: DPO, and a platform administrator (the demo data has neither).
KEEPERS = [
    ("other", "keeper-dpo@other.test", "Odile", "Keeper", ["dpo"]),
    ("demo", "keeper-root@demo.test", "Pat", "Keeper", ["platform_admin"]),
]
SEED = """
import asyncio, json, sys
from identity import seed
from kit.auth import Role
accounts = json.loads(sys.argv[1])
seed.ACCOUNTS = [(t, e, f, last, [Role(r) for r in roles]) for t, e, f, last, roles in accounts]
asyncio.run(seed.seed(sys.argv[2]))
"""


@pytest.fixture(scope="module")
def keepers(platform: Platform) -> None:
    seeded = subprocess.run(
        [sys.executable, "-c", SEED, json.dumps(KEEPERS), PASSWORD],
        env=platform.service_env("identity"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr


def register_processors(client: httpx.Client) -> list[dict[str, Any]]:
    response = client.get("/api/privacy/register")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["processors"]
    return found


def test_a_tenants_dpo_cannot_change_another_tenants_register(
    platform: Platform, keepers: None
) -> None:
    """Issue 14: the platform's processors are in every tenant's register, so a DPO of demo
    may neither remove nor add one; what they add is demo's own, which other's DPO neither sees
    nor removes. Only the platform administrator changes every tenant's register."""
    demo, other = dpo(platform), platform.login("keeper-dpo@other.test", "other")
    root = platform.login("keeper-root@demo.test")
    before = register_processors(other)
    platform_ids = {p["id"] for p in before if p["scope"] == "platform"}
    hosting = next(
        p for p in demo.get("/api/privacy/processors").json() if p["name"] == "Hosting provider"
    )
    assert hosting["scope"] == "platform" and hosting["id"] in platform_ids
    removal = demo.delete(f"/api/privacy/processors/{hosting['id']}")
    assert removal.status_code == 403, removal.text
    assert "platform administrator" in removal.json()["detail"]
    body = {
        "name": "Demo's own archiving",
        "role": "archiving of the works council's files",
        "data_categories": ["identity"],
        "location": "US",
        "safeguard": "standard contractual clauses (Decision 2021/914), module 2",
    }
    assert (
        demo.post("/api/privacy/processors", json=body | {"scope": "platform"}).status_code == 403
    )
    own = demo.post("/api/privacy/processors", json=body)
    assert own.status_code == 201, own.text
    own_id = own.json()["id"]
    try:
        assert own.json()["scope"] == "tenant"
        assert own_id in {p["id"] for p in register_processors(demo)}
        assert register_processors(other) == before
        assert all(
            p["transfers_outside_eu"].startswith("none")
            for p in other.get("/api/privacy/register", headers={"Accept-Language": "en"}).json()[
                "purposes"
            ]
        )
        assert own_id not in {p["id"] for p in other.get("/api/privacy/processors").json()}
        assert other.delete(f"/api/privacy/processors/{own_id}").status_code == 404
        assert root.delete(f"/api/privacy/processors/{own_id}").status_code == 403
    finally:
        assert demo.delete(f"/api/privacy/processors/{own_id}").status_code == 204
    # The platform administrator's entry is in every register; no DPO removes it.
    shared = root.post("/api/privacy/processors", json=body | {"name": "Platform backups"})
    assert shared.status_code == 201, shared.text
    shared_id = shared.json()["id"]
    try:
        assert shared.json()["scope"] == "platform"
        for client in (demo, other):
            assert shared_id in {p["id"] for p in register_processors(client)}
            assert client.delete(f"/api/privacy/processors/{shared_id}").status_code == 403
    finally:
        assert root.delete(f"/api/privacy/processors/{shared_id}").status_code == 204
    assert register_processors(other) == before


# -- breaches --------------------------------------------------------------------------------------


async def _mapped(url: str, service: str, subjects: list[str]) -> set[str]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT subject FROM data_map WHERE service = $1 AND subject = ANY($2::text[])",
            service,
            subjects,
        )
        return {str(r["subject"]) for r in rows}
    finally:
        await conn.close()


def wait_mapped(platform: Platform, service: str, subjects: list[str], timeout: float = 30) -> None:
    """Until privacy's data map holds each of ``subjects`` for ``service``."""
    url = platform.stack.config.database_urls["privacy"]
    deadline = time.monotonic() + timeout
    while asyncio.run(_mapped(url, service, subjects)) != set(subjects):
        assert time.monotonic() < deadline, "the data map never caught up"
        time.sleep(0.3)


def breach_mails(
    platform: Platform, since_ns: int, subject: str = BREACH_SUBJECT
) -> list[tuple[str, str]]:
    """(recipient, text) of the breach notices (to the people, or with ``subject``, to the
    client) the sink received since ``since_ns``."""
    found = []
    paths = sorted((platform.var_dir / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    for path in paths:
        if path.stat().st_mtime_ns < since_ns:
            continue
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if subject in str(message["Subject"]):
            body = message.get_body(("plain",))
            found.append((str(message["To"]), body.get_content() if body else ""))
    return found


def test_a_breach_finds_and_tells_exactly_the_people_concerned(platform: Platform) -> None:
    started = time.time_ns() - 1_000_000_000
    client = dpo(platform)
    declared_register(client)
    concerned_email, _last, concerned_id = new_employee(platform)
    elsewhere_email, _last, elsewhere_id = new_employee(platform)
    concerned = platform.login(concerned_email)
    ticket = concerned.post("/api/tickets", json={"subject": "Voucher", "message": "Lost it"})
    assert ticket.status_code == 201, ticket.text
    # The other employee holds data in another service only.
    profile = platform.login(elsewhere_email).put(
        "/api/subsidies/profile", json={"children_count": 2}
    )
    assert profile.status_code in (200, 201), profile.text
    # Carol, of the other tenant, holds data in the same service and category.
    carol = platform.login("carol@other.test", tenant="other")
    carol_id = str(carol.get("/api/auth/me").json()["id"])
    theirs = carol.post("/api/tickets", json={"subject": "Voucher", "message": "Lost it"})
    assert theirs.status_code == 201, theirs.text
    wait_mapped(platform, "support", [concerned_id, carol_id])
    wait_mapped(platform, "subsidies", [elsewhere_id])
    # Everyone of the tenant with a support conversation, as the support database has them
    # (earlier tests of the suite added some): exactly these, never Carol nor the other one.
    expected = asyncio.run(_support_requesters(platform, concerned.get("/api/auth/me").json()))
    assert concerned_id in expected and carol_id not in expected and elsewhere_id not in expected
    scope = {"services": ["support"], "categories": ["support conversation"]}
    preview = client.post("/api/privacy/breaches/preview", json=scope)
    assert preview.status_code == 200, preview.text
    assert preview.json()["affected_people"] == len(expected)

    created = client.post("/api/privacy/breaches", json=breach_body())
    assert created.status_code == 201, created.text
    breach = created.json()
    assert {a["subject"] for a in breach["affected"]} == expected
    assert breach["affected_count"] == breach["approx_people"] == len(expected)
    assert breach["deadline_status"] == "near" and 11.5 < breach["hours_left"] <= 12
    assert breach["authority_notified_at"] is None and breach["notifications"] == []
    listed = client.get("/api/privacy/breaches").json()
    assert breach["id"] in {b["id"] for b in listed}
    url = f"/api/privacy/breaches/{breach['id']}"
    assert client.get(url).json()["affected_count"] == len(expected)

    # The authority, in phases.
    early = client.post(f"{url}/notifications", json={"phase": "follow-up", "text": "More"})
    assert early.status_code == 409
    first = client.post(f"{url}/notifications", json={"phase": "initial", "text": "Notified."})
    assert first.status_code == 201, first.text
    assert first.json()["deadline_status"] == "met" and first.json()["authority_notified_at"]
    more = client.post(f"{url}/notifications", json={"phase": "follow-up", "text": "Cause found."})
    assert more.status_code == 201
    assert [n["phase"] for n in more.json()["notifications"]] == ["initial", "follow-up"]

    # The people: the one concerned, once.
    told = client.post(f"{url}/notify-people")
    assert told.status_code == 200, told.text
    assert told.json()["notified"] == len(expected)
    assert told.json()["breach"]["people_notified_at"]
    assert all(a["notified_at"] for a in told.json()["breach"]["affected"])
    again = client.post(f"{url}/notify-people")
    assert again.status_code == 200 and again.json()["notified"] == 0

    deadline = time.monotonic() + 30
    while concerned_email not in {to for to, _ in breach_mails(platform, started)}:
        assert time.monotonic() < deadline, "the person concerned was never told"
        time.sleep(0.3)
    # A mail asked for after the notices has arrived: anything sent with them has too.
    mail_marker(platform)
    mails = breach_mails(platform, started)
    assert len(mails) == len(expected)  # one each, nobody twice
    text = next(body for to, body in mails if to == concerned_email)
    assert text.index("Bonjour") < text.index("Hello")
    assert "wrong partner" in text and "two people" in text and "Someone outside" in text
    assert register_dpo_email(client) in text
    for other in (elsewhere_email, "carol@other.test"):
        assert other not in {to for to, _ in mails}
    assert client.get(url).json()["notified_count"] == len(expected)


async def _support_requesters(platform: Platform, me: dict[str, Any]) -> set[str]:
    """Everyone of ``me``'s tenant with a ticket, read straight from support's database."""
    url = platform.stack.config.database_urls["support"].replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(url)
    try:
        tenant = await conn.fetchval(
            "SELECT tenant_id FROM tickets WHERE requester_id = $1 LIMIT 1", me["id"]
        )
        rows = await conn.fetch(
            "SELECT DISTINCT requester_id FROM tickets WHERE tenant_id = $1", tenant
        )
        return {r["requester_id"] for r in rows}
    finally:
        await conn.close()


def register_dpo_email(client: httpx.Client) -> str:
    return str(client.get("/api/privacy/dpo").json()["email"])


def test_bad_breaches_are_refused(platform: Platform) -> None:
    client = dpo(platform)
    declared_register(client)  # categories are checked against the services' declarations
    now = datetime.now(UTC)
    for body in (
        breach_body(aware_at=iso(now + timedelta(minutes=10))),  # the future
        breach_body(aware_at=now.replace(tzinfo=None).isoformat()),  # no time zone
        breach_body(services=["support", "payroll"]),  # no such service
        breach_body(  # a window that ends before it starts
            window_start=iso(now - timedelta(days=1)), window_end=iso(now - timedelta(days=2))
        ),
        breach_body(categories=["no such category"]),
        breach_body(services=[]),
    ):
        response = client.post("/api/privacy/breaches", json=body)
        assert response.status_code == 422, (body, response.text)
    future = client.post(
        "/api/privacy/breaches", json=breach_body(aware_at=iso(now + timedelta(minutes=10)))
    )
    assert "future" in str(future.json()["detail"])
    # Encrypted data: nobody to tell (Art. 34(3)(a)); the breach is still documented.
    encrypted = client.post(
        "/api/privacy/breaches",
        json=breach_body(encrypted=True, aware_at=iso(now - timedelta(hours=80))),
    )
    assert encrypted.status_code == 201
    assert encrypted.json()["deadline_status"] == "past"
    refused = client.post(f"/api/privacy/breaches/{encrypted.json()['id']}/notify-people")
    assert refused.status_code == 409 and "34(3)(a)" in refused.json()["detail"]
    assert client.get("/api/privacy/breaches/00000000-0000-4000-8000-000000000000").status_code == (
        404
    )


# -- roles -----------------------------------------------------------------------------------------


def test_every_dpo_route_is_refused_to_employees_and_tenant_admins(platform: Platform) -> None:
    client = dpo(platform)
    breach = client.post(
        "/api/privacy/breaches", json=breach_body(categories=["support request"])
    ).json()
    spare = {"name": "Spare", "role": "r", "data_categories": ["c"], "location": "FR"}
    processor = client.post("/api/privacy/processors", json=spare).json()
    url = f"/api/privacy/breaches/{breach['id']}"
    routes: list[tuple[str, str, dict[str, Any] | None]] = [
        # The controller's register (Art. 30(1)); a tenant admin's default is the client's
        # record of the processor (Art. 30(2), tests/e2e/test_processor_duties.py).
        ("GET", "/api/privacy/register?role=controller", None),
        ("GET", "/api/privacy/register?role=controller&format=csv", None),
        ("GET", "/api/privacy/register?role=controller&format=html", None),
        ("GET", "/api/privacy/processors", None),
        ("POST", "/api/privacy/processors", spare | {"name": "X"}),
        ("DELETE", f"/api/privacy/processors/{processor['id']}", None),
        ("GET", "/api/privacy/breaches", None),
        ("POST", "/api/privacy/breaches", breach_body()),
        ("POST", "/api/privacy/breaches/preview", {"services": ["support"], "categories": ["x"]}),
        ("GET", url, None),
        ("POST", f"{url}/notifications", {"phase": "initial", "text": "Nope"}),
        ("POST", f"{url}/notify-people", None),
    ]
    employee_email, _last, _id = new_employee(platform)
    for caller in (platform.login(employee_email), platform.login("admin@demo.test")):
        for method, path, body in routes:
            response = caller.request(method, path, json=body)
            assert response.status_code == 403, (method, path, response.status_code)
    # Nothing happened meanwhile.
    after = client.get(url).json()
    assert after["notifications"] == [] and after["people_notified_at"] is None
    assert processor["id"] in {p["id"] for p in client.get("/api/privacy/processors").json()}
    assert client.delete(f"/api/privacy/processors/{processor['id']}").status_code == 204
