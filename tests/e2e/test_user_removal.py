"""An admin removing an employee goes through the erasure machinery (CONTRACT: DELETE
/api/users/{id}): the account stops at once, then an erasure request filed in the admin's name
reaches every service, with its report and legal retention; afterwards no table of any service
holds the person's values outside the restricted archive."""

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, Platform
from tests.e2e.test_orders import offer, pay, wait_status
from tests.e2e.test_privacy import _rows_mentioning, new_employee, wait_done
from tests.e2e.test_subsidies import BIC, IBAN

pytestmark = pytest.mark.e2e

TICKET_TEXT = "My voucher for the Rembrandt exhibition never arrived"


def removal_requests(dpo: httpx.Client, since: str) -> list[dict[str, Any]]:
    queue = dpo.get("/api/privacy/requests", params={"scope": "tenant"})
    assert queue.status_code == 200, queue.text
    body = queue.json()
    items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
    return [r for r in items if r["channel"] == "admin-removal" and r["received_at"] >= since]


def test_an_admin_removes_an_employee_through_the_erasure_machinery(platform: Platform) -> None:
    since = datetime.now(UTC).isoformat()
    email, last_name, user_id = new_employee(platform, first="Rembrandt")
    person = platform.login(email)
    # What three years at the company leave: an order paid, a SEPA mandate, a ticket, a consent.
    ticket = offer(person, "ticket")
    placed = person.post("/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 1}]})
    assert placed.status_code == 201, placed.text
    pay(person, placed.json()["id"])
    wait_status(person, placed.json()["id"], "fulfilled")
    mandate = person.post(
        "/api/subsidies/mandates",
        json={"holder": f"Rembrandt {last_name}", "iban": IBAN, "bic": BIC},
    )
    assert mandate.status_code == 201, mandate.text
    opened = person.post(
        "/api/tickets", json={"subject": "Voucher missing", "message": TICKET_TEXT}
    )
    assert opened.status_code == 201, opened.text
    consent = person.put("/api/privacy/consents", json={"purpose": "newsletter", "granted": True})
    assert consent.status_code == 200, consent.text

    admin = platform.login("admin@demo.test")
    removed = admin.delete(f"/api/users/{user_id}")
    assert removed.status_code == 202, removed.text
    assert removed.json() == {"status": "erasure requested"}
    # The account stops at once: no new sign-in; the session ends within the gateway's cache.
    with platform.client() as anonymous:
        login = {"tenant": "demo", "email": email, "password": PASSWORD}
        assert anonymous.post("/api/auth/login", json=login).status_code == 401
    deadline = time.monotonic() + 4
    while person.get("/api/auth/me").status_code != 401:
        assert time.monotonic() < deadline, "the removed person's session still reads"
        time.sleep(0.25)
    # Asking twice files one request.
    assert admin.delete(f"/api/users/{user_id}").status_code in (202, 404)

    dpo = platform.login("dpo@demo.test")
    deadline = time.monotonic() + 20
    while not (found := removal_requests(dpo, since)):
        assert time.monotonic() < deadline, "no erasure request was filed for the removal"
        time.sleep(0.3)
    assert len(found) == 1
    request = found[0]
    assert request["type"] == "erasure"
    done = wait_done(dpo, request["id"], timeout=60)
    assert done["status"] == "completed", done
    report = done["report"]
    assert set(report) >= {"identity", "orders", "subsidies", "support"}
    # Legal retention: the sale's records are kept, restricted, and the report says until when.
    orders_tables = {t["table"]: t for t in report["orders"]["erase"]["tables"]}
    assert orders_tables["invoices"]["kept_rows"] == 1
    assert orders_tables["invoices"]["legal_basis"] == "legal_obligation"

    values = [email, last_name, "Rembrandt", IBAN.replace(" ", ""), TICKET_TEXT]
    urls = platform.stack.config.database_urls
    leftovers = {
        name: asyncio.run(_rows_mentioning(url, [*values, user_id])) for name, url in urls.items()
    }
    for service, tables in leftovers.items():
        assert set(tables) <= {"restricted_archive"}, (service, tables)
        # The restricted archive keeps records the law requires, never the ticket or the IBAN.
        kept = set(tables.get("restricted_archive", []))
        assert not kept & {TICKET_TEXT, IBAN.replace(" ", "")}, (service, kept)
    # Nobody else was touched: another employee still signs in and sees their orders.
    assert platform.login("bob@demo.test").get("/api/orders").status_code == 200
