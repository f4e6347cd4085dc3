"""The platform as a processor (issue 18, part 1), end to end through Nginx on PostgreSQL and
RabbitMQ: the Art. 30(2) record per client, and the end of a client's contract (Art.
28(3)(g)): a generated tenant with orders, mandates, tickets and consents is closed by its
admin; every person is exported into one client archive, then erased but what the law keeps,
with a report; nobody of it signs in again; the other tenants (demo, other, the second
generated one) keep every row."""

import asyncio
import csv
import io
import json
import subprocess
import sys
import time
import zipfile
from typing import Any

import asyncpg
import httpx
import pytest

from bench.data.__main__ import load_into
from bench.data.plan import Plan
from devstack.stack import ROOT
from tests.e2e.conftest import PASSWORD, Platform, wait_quiet
from tests.e2e.test_dpo_governance import (
    breach_body,
    breach_mails,
    declared_register,
    wait_mapped,
)

pytestmark = pytest.mark.e2e

#: A platform administrator, in ``other`` (never in the tenant it closes).
ROOT_ACCOUNT = ("other", "closer-root@other.test", "Pat", "Closer", ["platform_admin"])
SEED = """
import asyncio, json, sys
from identity import seed
from kit.auth import Role
accounts = json.loads(sys.argv[1])
seed.ACCOUNTS = [(t, e, f, last, [Role(r) for r in roles]) for t, e, f, last, roles in accounts]
asyncio.run(seed.seed(sys.argv[2]))
"""
#: (service, table, the column naming the tenant): rows of a tenant's people in each service.
PEOPLES_ROWS = [
    ("identity", "users", "tenant_id"),
    ("orders", "orders", "tenant_id"),
    ("subsidies", "mandates", "tenant_id"),
    ("subsidies", "profiles", "tenant_id"),
    ("support", "tickets", "tenant_id"),
    ("privacy", "consents", "tenant_id"),
    ("privacy", "data_map", "tenant_id"),
]


@pytest.fixture(scope="module")
def root(platform: Platform) -> httpx.Client:
    seeded = subprocess.run(
        [sys.executable, "-c", SEED, json.dumps([ROOT_ACCOUNT]), PASSWORD],
        env=platform.service_env("identity"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    return platform.login(ROOT_ACCOUNT[1], ROOT_ACCOUNT[0])


async def _fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def fetch(platform: Platform, service: str, query: str, *args: object) -> list[asyncpg.Record]:
    return asyncio.run(_fetch(platform.stack.config.database_urls[service], query, *args))


def tenant_id(platform: Platform, slug: str) -> str:
    [row] = fetch(platform, "identity", "SELECT id FROM tenants WHERE slug = $1", slug)
    return str(row["id"])


def rows_of(platform: Platform, tenant: str) -> dict[str, int]:
    """The tenant's people's rows, per service and table."""
    return {
        f"{service}.{table}": int(
            fetch(
                platform, service, f"SELECT count(*) AS n FROM {table} WHERE {column} = $1", tenant
            )[0]["n"]
        )
        for service, table, column in PEOPLES_ROWS
    }


# -- Art. 30(2): the record of the processing done for a client ----------------------------------


def test_the_client_reads_its_processor_record_in_its_language(
    platform: Platform, root: httpx.Client
) -> None:
    admin = platform.login("admin@demo.test")
    response = admin.get("/api/privacy/register", params={"role": "processor"})
    assert response.status_code == 200, response.text
    record = response.json()
    demo = tenant_id(platform, "demo")
    assert record["record"] == "Art. 30(2) GDPR" and record["language"] == "fr"
    assert record["title"].startswith("Registre")
    assert (record["controller"]["tenant_id"], record["controller"]["name"]) == (demo, "demo")
    dpo = record["processor"]["dpo"]
    assert dpo["email"] and dpo["name"] and dpo["address"]
    assert [c["purpose"] for c in record["categories_of_processing"]] == [
        "site_communication",
        "social_cultural_activities",
        "order_processing",
        "support_requests",
    ]
    assert {s["name"] for s in record["subprocessors"]} >= {  # in French, like the record
        "Hébergeur",
        "Relais de courriel",
        "Prestataire de paiement",
    }
    assert record["security_measures"] and record["transfers_text"]
    english = admin.get(
        "/api/privacy/register",
        params={"role": "processor"},
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    ).json()
    assert english["language"] == "en" and english["title"].startswith("Record")
    # The same formats as the controller's register.
    as_csv = admin.get("/api/privacy/register", params={"role": "processor", "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))  # French by default, header too
    assert {r["responsable_du_traitement"] for r in rows} == {"demo"}
    subs = {r["sous-traitant_ultérieur"] for r in rows if r["section"] == "sous-traitant_ultérieur"}
    assert subs >= {"Prestataire de paiement"}
    in_english = admin.get(
        "/api/privacy/register", params={"role": "processor", "format": "csv", "lang": "en"}
    )
    assert in_english.text.startswith("section,controller,contract,")
    page = admin.get("/api/privacy/register", params={"role": "processor", "format": "html"})
    assert page.status_code == 200 and page.text.startswith("<!DOCTYPE html>")
    # A tenant admin reads their own only, and not the controller's register (the DPO's).
    other = tenant_id(platform, "other")
    refused = admin.get("/api/privacy/register", params={"role": "processor", "tenant": other})
    assert refused.status_code == 403 and "detail" in refused.json()
    assert admin.get("/api/privacy/register", params={"role": "controller"}).status_code == 403
    assert platform.login("alice@demo.test").get("/api/privacy/register").status_code == 403
    # The DPO reads it too; the platform (its administrator) names any tenant.
    by_dpo = platform.login("dpo@demo.test").get(
        "/api/privacy/register", params={"role": "processor"}
    )
    assert by_dpo.status_code == 200 and by_dpo.json()["controller"]["tenant_id"] == demo
    named = root.get("/api/privacy/register", params={"role": "processor", "tenant": demo})
    assert named.status_code == 200 and named.json()["controller"]["tenant_id"] == demo


def test_a_new_subprocessor_is_announced_then_accepted_by_the_client(
    platform: Platform, root: httpx.Client
) -> None:
    """Art. 28(2): announced to every client, listed as not accepted; the client's admin
    accepts it; then it is removed again (the other tests count the defaults)."""
    admin = platform.login("admin@demo.test")
    added = root.post(
        "/api/privacy/processors",
        json={
            "name": "SMS Relay Ltd",
            "role": "text messages",
            "data_categories": ["contact"],
            "location": "IE",
        },
    )
    assert added.status_code == 201, added.text
    sms = added.json()["id"]
    try:

        def status() -> dict[str, Any]:
            record = admin.get("/api/privacy/register", params={"role": "processor"}).json()
            found: dict[str, Any] = next(s for s in record["subprocessors"] if s["id"] == sms)
            return found

        assert (status()["status"], status()["accepted_at"]) == ("announced", None)
        accepted = admin.post(f"/api/privacy/clients/subprocessors/{sms}/accept")
        assert accepted.status_code == 200, accepted.text
        assert status()["status"] == "accepted"
        unknown = admin.post("/api/privacy/clients/subprocessors/no-such-id/accept")
        assert unknown.status_code == 404
    finally:
        assert root.delete(f"/api/privacy/processors/{sms}").status_code == 204


# -- Art. 28(3)(g): the end of a client's contract -----------------------------------------------


@pytest.fixture(scope="module")
def population(platform: Platform) -> Plan:
    plan, _ = load_into(platform.stack, 30, tenants=2, password=PASSWORD, with_demo=False)
    return plan


def kill_and_restart(platform: Platform, name: str) -> None:
    """SIGKILL a process of the stack mid-work, and start it again as ``make run`` would."""
    process = platform.stack.process(name)
    assert process.popen is not None
    process.popen.kill()
    process.popen.wait()
    platform.stack.supervise_once()
    assert process.alive


def wait_closure(client: httpx.Client, tenant: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/privacy/closures/{tenant}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] == "completed" or time.monotonic() > deadline:
            assert body["status"] == "completed", body
            return body
        time.sleep(0.5)


def test_closing_a_tenant_exports_then_erases_its_people_and_nobody_else(
    platform: Platform, root: httpx.Client, population: Plan
) -> None:
    demo, other = tenant_id(platform, "demo"), tenant_id(platform, "other")
    generated = population.generated_tenants[:2]
    # What earlier tests set going ends first (an order's payment reaching the books marks the
    # person in the data map): the counts below change only by what this test does.
    wait_quiet(platform)
    before = {t: rows_of(platform, t) for t in (*[g.id for g in generated], demo, other)}
    # The one to close: the generated tenant whose people have the most of everything (the
    # population is drawn at random: a small tenant may have no ticket).
    closing, kept = sorted(generated, key=lambda g: min(before[g.id].values()), reverse=True)
    # The tenant to close holds what a works council's people accumulate.
    for table in PEOPLES_ROWS:
        assert before[closing.id][f"{table[0]}.{table[1]}"] > 0, table
    admin = platform.login(population.staff_email(closing, "admin"), tenant=closing.slug)
    employee = platform.client()
    someone = next(p for p in population.people() if p.tenant.slug == closing.slug)
    signed_in = employee.post(
        "/api/auth/login",
        json={"tenant": closing.slug, "email": someone.email, "password": PASSWORD},
    )
    assert signed_in.status_code == 200, signed_in.text
    # Another tenant's admin cannot close it; its own admin does.
    foreign = platform.login("admin@demo.test").post(
        "/api/privacy/closures", json={"tenant_id": closing.id, "confirm": closing.slug}
    )
    assert foreign.status_code == 403
    # Closing is confirmed with the tenant's name; a wrong one changes nothing.
    unconfirmed = admin.post("/api/privacy/closures", json={"confirm": "demo"})
    assert unconfirmed.status_code == 422 and "detail" in unconfirmed.json()
    assert admin.get(f"/api/privacy/closures/{closing.id}").status_code == 404
    started = admin.post("/api/privacy/closures", json={"confirm": closing.slug})
    assert started.status_code == 202, started.text
    assert (started.json()["tenant_id"], started.json()["status"]) == (closing.id, "exporting")
    # A crash of the workers on the way loses nothing and does nothing twice.
    kill_and_restart(platform, "identity-worker")

    # Nobody of it signs in any more; its sessions are over (identity, through RabbitMQ).
    deadline = time.monotonic() + 30
    while employee.get("/api/auth/me").status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert employee.get("/api/auth/me").status_code == 401
    assert admin.get("/api/auth/me").status_code == 401
    login = platform.client().post(
        "/api/auth/login",
        json={"tenant": closing.slug, "email": someone.email, "password": PASSWORD},
    )
    assert login.status_code == 401
    # Asked again (by the platform): the same closure.
    again = root.post(
        "/api/privacy/closures", json={"tenant_id": closing.id, "confirm": closing.id}
    )
    assert (
        again.status_code == 202 and again.json()["requested_at"] == started.json()["requested_at"]
    )

    deadline = time.monotonic() + 120
    while root.get(f"/api/privacy/closures/{closing.id}").json()["progress"]["people"] == 0:
        assert time.monotonic() < deadline, "the export never started"
        time.sleep(0.2)
    kill_and_restart(platform, "privacy-worker")
    done = wait_closure(root, closing.id)
    people = done["progress"]["people"]
    assert people == population.subjects // 2 + 3  # its employees and its three staff
    assert done["progress"] == {"people": people, "exported": people, "erased": people, "failed": 0}
    report = done["report"]
    assert report["erasures"] == report["completed"] == people
    services = report["services"]
    # Privacy erases its own records as each erasure completes (no command to itself).
    assert set(services) == {"identity", "orders", "subsidies", "support"}
    assert services["orders"]["erased_rows"] >= before[closing.id]["orders.orders"]
    assert services["subsidies"]["erased_rows"] >= before[closing.id]["subsidies.mandates"]
    assert services["support"]["erased_rows"] >= before[closing.id]["support.tickets"]
    # What the law keeps is said, with its basis and date.
    kept_tables = [
        (service, table, why)
        for service, entry in services.items()
        for table, why in entry["kept"].items()
    ]
    assert kept_tables, services
    for _service, _table, why in kept_tables:
        assert why["rows"] > 0 and why["legal_basis"] and why["reason"] and why["kept_until"]

    # One export and one erasure per person, whatever was killed meanwhile.
    filed = fetch(
        platform,
        "privacy",
        "SELECT type, count(*) AS n, count(DISTINCT subject_key) AS people FROM requests"
        " WHERE tenant_id = $1 AND channel = 'tenant-closure' GROUP BY type ORDER BY type",
        closing.id,
    )
    assert [(r["type"], r["n"]) for r in filed] == [("access", people), ("erasure", people)]
    assert filed[1]["people"] == people

    # The client's archive: one zip per person, each an access archive.
    archive = root.get(f"/api/privacy/closures/{closing.id}/archive")
    assert archive.status_code == 200, archive.text
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as whole:
        names = whole.namelist()
        manifest = json.loads(whole.read("manifest.json"))
        assert len(manifest["people"]) == people == len(names) - 1
        first = manifest["people"][0]
        with zipfile.ZipFile(io.BytesIO(whole.read(f"people/{first}.zip"))) as person:
            inside = set(person.namelist())
            assert {"identity.json", "privacy.json", "manifest.json"} <= inside
    assert admin.get(f"/api/privacy/closures/{closing.id}/archive").status_code == 401
    # The other tenant's admin sees neither the closure nor the archive.
    demo_admin = platform.login("admin@demo.test")
    assert demo_admin.get(f"/api/privacy/closures/{closing.id}").status_code == 404
    assert demo_admin.get(f"/api/privacy/closures/{closing.id}/archive").status_code == 403

    # Every row of its people is gone; the other tenants keep every one of theirs.
    after = {t: rows_of(platform, t) for t in (closing.id, kept.id, demo, other)}
    assert after[closing.id] == dict.fromkeys(before[closing.id], 0)
    assert after[kept.id] == before[kept.id]
    assert after[demo] == before[demo]
    other_after = dict(after[other])
    assert other_after == before[other]
    # The other tenants' people still sign in.
    assert platform.login("alice@demo.test").get("/api/auth/me").status_code == 200
    survivor = next(p for p in population.people() if p.tenant.slug == kept.slug)
    assert (
        platform.client()
        .post(
            "/api/auth/login",
            json={"tenant": kept.slug, "email": survivor.email, "password": PASSWORD},
        )
        .status_code
        == 200
    )


# -- Art. 33(2): the client told of a breach touching its people ---------------------------------

CLIENT_NOTICE = "A data breach touching your people (Art. 33(2) GDPR)"


def client_notices(platform: Platform, since_ns: int, timeout: float = 30) -> list[tuple[str, str]]:
    """(recipient, text) of the notices to clients the mail sink received since ``since_ns``,
    once there is one."""
    deadline = time.monotonic() + timeout
    while not (found := breach_mails(platform, since_ns, CLIENT_NOTICE)):
        if time.monotonic() > deadline:
            return found
        time.sleep(0.3)
    return found


def test_a_breach_touching_the_clients_people_is_notified_to_the_client(
    platform: Platform,
) -> None:
    started = time.time_ns() - 1_000_000_000
    alice = platform.login("alice@demo.test")
    alice_id = str(alice.get("/api/auth/me").json()["id"])
    ticket = alice.post("/api/tickets", json={"subject": "Voucher", "message": "Lost it"})
    assert ticket.status_code == 201, ticket.text
    dpo = platform.login("dpo@demo.test")
    declared_register(dpo)
    wait_mapped(platform, "support", [alice_id])
    created = dpo.post("/api/privacy/breaches", json=breach_body())
    assert created.status_code == 201, created.text
    breach = created.json()
    assert breach["approx_people"] >= 1
    [notice] = breach["client_notices"]
    assert (notice["tenant_id"], notice["recipients"]) == (
        tenant_id(platform, "demo"),
        "tenant_admin",
    )
    # The client's admins (controller) get what Art. 33(3) lists; nobody of another tenant.
    mails = client_notices(platform, started)
    recipients = {to for to, _ in mails}
    assert "admin@demo.test" in recipients
    assert all(to.endswith("@demo.test") for to in recipients), recipients
    assert "dpo@demo.test" not in recipients and "alice@demo.test" not in recipients
    text = next(t for to, t in mails if to == "admin@demo.test")
    body = breach_body()
    for expected in (
        body["nature"],
        body["consequences"],
        body["measures"],
        "support conversation",
        f"Approximate number of people concerned: {breach['approx_people']}",
        f"Approximate number of records concerned: {breach['approx_records']}",
        "Data protection officer:",
    ):
        assert expected in text, expected
    assert alice_id not in text
