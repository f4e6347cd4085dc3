"""The archives a person downloads, opened (Art. 15 and 20), built by the real services:
the access archive's manifest answers every item of Art. 15(1)(a)-(h) with the recipients and
transfers of the tenant's processors register; the portability archive holds the data the
person provided, and nothing else, in JSON and the same rows in CSV."""

import csv
import io
import json
import zipfile

import httpx
import pytest
from sqlalchemy import MetaData

from identity.models import Base as IdentityBase
from kit.privacy.declarations import personal_columns
from orders.models import Base as OrdersBase
from privacy.models import Base as PrivacyBase
from subsidies.models import Base as SubsidiesBase
from support.models import Base as SupportBase
from tests.e2e.conftest import Platform
from tests.e2e.test_orders import offer
from tests.e2e.test_privacy import new_employee, wait_done

pytestmark = pytest.mark.e2e

METADATA: dict[str, MetaData] = {
    "identity": IdentityBase.metadata,
    "orders": OrdersBase.metadata,
    "subsidies": SubsidiesBase.metadata,
    "support": SupportBase.metadata,
    "privacy": PrivacyBase.metadata,
}
SAFEGUARD = "standard contractual clauses (Decision 2021/914), module 2"
#: An address of this file's own: other files look for theirs in the whole database.
ADDRESS = {
    "name": "Porta Bilité",
    "street": "7 allée des Archives",
    "postcode": "69002",
    "city": "Lyon",
}


def archive(client: httpx.Client, kind: str) -> dict[str, bytes]:
    """File a request of ``kind`` (in English: the texts below are checked in English; the
    French ones in ``test_languages.py``), wait for it, download its archive: every file."""
    filed = client.post(
        "/api/privacy/requests", json={"type": kind}, headers={"Accept-Language": "en"}
    )
    assert filed.status_code == 202, filed.text
    done = wait_done(client, filed.json()["id"], timeout=60)
    assert done["status"] == "completed", done
    response = client.get(f"/api/privacy/requests/{done['id']}/archive")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist()}


def employee_with_data(platform: Platform) -> tuple[httpx.Client, str]:
    """A fresh employee with an order delivered to an address, and a consent."""
    email, _last, _id = new_employee(platform)
    person = platform.login(email)
    items = [{"offer_id": offer(person, "goods")["id"], "quantity": 1}]
    placed = person.post("/api/orders", json={"items": items, "delivery_address": ADDRESS})
    assert placed.status_code == 201, placed.text
    given = person.put("/api/privacy/consents", json={"purpose": "newsletter", "granted": True})
    assert given.status_code == 200, given.text
    return person, email


def test_the_access_archive_answers_article_15(platform: Platform) -> None:
    dpo = platform.login("dpo@demo.test")
    body = {
        "name": "Statistics Corp.",
        "role": "usage statistics",
        "data_categories": ["connection data"],
        "location": "US",
        "safeguard": SAFEGUARD,
    }
    added = dpo.post("/api/privacy/processors", json=body)
    assert added.status_code == 201, added.text
    try:
        person, _email = employee_with_data(platform)
        files = archive(person, "access")
    finally:
        assert dpo.delete(f"/api/privacy/processors/{added.json()['id']}").status_code == 204
    manifest = json.loads(files["manifest.json"])
    # (a) purposes and legal bases, (b) categories.
    orders = manifest["purposes"]["order_processing"]
    assert "contract" in orders["legal_bases"] and "delivery address" in orders["categories"]
    assert "consent" in manifest["purposes"]["site_communication"]["legal_bases"]
    # (c) recipients: the tables' (partners), the purposes' (works council, payment
    # provider) and the processors register's (host, mail relay, payment provider).
    recipients = manifest["recipients"]
    assert "fulfilment partners" in recipients
    assert any(r.startswith("the works council") for r in recipients)
    for processor in ("Hosting provider", "Email relay", "Payment provider", "Statistics Corp."):
        assert any(r.startswith(f"{processor} (") for r in recipients), (processor, recipients)
    # (c) and 15(2): the transfer outside the EU with its safeguard, nothing else.
    assert manifest["transfers_outside_eu"] == [
        {"recipient": "Statistics Corp.", "country": "US", "safeguard": SAFEGUARD}
    ]
    # (d) how long, per table; the sale's record after an erasure: legal claims (17(3)(e)).
    kept = {(r["service"], r["table"]): r for r in manifest["retention"]}
    assert kept["orders", "orders"]["after_erasure"]["legal_basis"] == "legal_claims"
    assert kept["orders", "invoices"]["after_erasure"]["legal_basis"] == "legal_obligation"
    assert all(r["kept"] for r in manifest["retention"])
    # (e) rights, (f) complaint, (g) sources, (h) automated decisions.
    assert {"access", "erasure", "restriction", "portability", "objection"} <= set(
        manifest["your_rights"]
    )
    assert manifest["complaint"].startswith("You can complain to the CNIL")
    assert "you" in manifest["sources"] and len(manifest["sources"]) > 1
    assert manifest["automated_decisions"] == "none"
    # The archive made once the processor was removed lists no transfer.
    later = json.loads(archive(person, "access")["manifest.json"])
    assert later["transfers_outside_eu"] == []


def provided(service: str, table: str) -> set[str]:
    """The columns of ``table`` the person gave us (Art. 20's scope)."""
    found = METADATA[service].tables[table]
    return {c.name for c, d in personal_columns(found) if d.provided and d.exportable}


def test_the_portability_archive_holds_the_provided_data_only(platform: Platform) -> None:
    person, email = employee_with_data(platform)
    files = archive(person, "portability")
    parts = {
        name.removesuffix(".json"): json.loads(data)
        for name, data in files.items()
        if name.endswith(".json") and name != "manifest.json"
    }
    assert set(parts) >= {"identity", "orders", "privacy"}
    # What the person gave: their name and address, the delivery address, the consent.
    [user] = parts["identity"]["users"]
    assert (user["email"], user["first_name"]) == (email, "Erin")
    [order] = parts["orders"]["orders"]
    assert order["delivery_street"] == ADDRESS["street"]
    assert parts["privacy"]["consents"][0]["granted"] is True
    # Nothing we observed or derived: no connection log, no amounts, no consent history.
    every_column = 0
    for service, tables in parts.items():
        for table, rows in tables.items():
            allowed = provided(service, table)
            assert allowed, (service, table)  # a table with nothing provided is left out
            for row in rows:
                assert set(row) <= allowed, (service, table, set(row) - allowed)
                every_column += len(row)
    assert every_column > 5
    assert "login_events" not in parts["identity"]
    assert "total_cents" not in order and "status" not in order
    # The same rows in CSV, one file per table with rows, nothing else.
    csv_files = {n for n in files if n.startswith("csv/")}
    expected = {
        f"csv/{service}/{table}.csv"
        for service, tables in parts.items()
        for table, rows in tables.items()
        if rows
    }
    assert csv_files == expected
    for name in csv_files:
        _csv, service, file_name = name.split("/")
        rows = parts[service][file_name.removesuffix(".csv")]
        read = list(csv.DictReader(io.StringIO(files[name].decode())))
        assert len(read) == len(rows), name
        for got, want in zip(read, rows, strict=True):
            assert set(got) == {k for r in rows for k in r}, name
            for key, value in want.items():
                text = json.dumps(value) if isinstance(value, list | dict) else value
                assert got[key] == ("" if text is None else str(text)), (name, key)
