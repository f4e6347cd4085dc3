"""Inputs at the longest or largest the OpenAPI documents allow are stored on PostgreSQL (which,
unlike SQLite, enforces column sizes), or refused as 422: never a 500. Each case is a bug the
security suite's review of the fuzzing found (issue 9)."""

import secrets
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_dpo_governance import breach_body
from tests.e2e.test_orders import offer, pay
from tests.e2e.test_privacy_lists import every_page


def longest_address(name: str) -> dict[str, str]:
    return {
        "name": name + "n" * (200 - len(name)),
        "street": "s" * 150,
        "postcode": "75011-1234",
        "city": "c" * 100,
        "country": "FR",
    }


def test_the_longest_addresses_make_an_order_and_its_invoice(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    body: dict[str, Any] = {
        "items": [{"offer_id": offer(alice, "goods")["id"], "quantity": 1}],
        "delivery_address": longest_address("Delivery"),
        "billing_address": longest_address("Billing"),
    }
    placed = alice.post("/api/orders", json=body)
    assert placed.status_code == 201, placed.text
    assert placed.json()["delivery_address"]["city"] == "c" * 100
    pay(alice, placed.json()["id"])
    invoice = alice.get(f"/api/orders/{placed.json()['id']}/invoice")
    assert invoice.status_code == 200, invoice.text
    assert invoice.json()["billing_address"].startswith("s" * 150)
    # Without a billing address, the invoice is made out to the delivery address.
    delivered = alice.post("/api/orders", json=body | {"billing_address": None})
    assert delivered.status_code == 201, delivered.text
    pay(alice, delivered.json()["id"])
    assert alice.get(f"/api/orders/{delivered.json()['id']}/invoice").status_code == 200


@pytest.mark.parametrize(
    "change",
    [{"street": "s" * 151}, {"city": "c" * 101}, {"name": "n" * 201}, {"postcode": "1" * 11}],
)
def test_longer_addresses_are_422(platform: Platform, change: dict[str, str]) -> None:
    alice = platform.login("alice@demo.test")
    body = {
        "items": [{"offer_id": offer(alice, "goods")["id"], "quantity": 1}],
        "delivery_address": longest_address("D") | change,
    }
    assert alice.post("/api/orders", json=body).status_code == 422


def test_ids_with_a_nul_character_are_422(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    for path, body in (
        ("/api/subsidies/bookings", {"activity_id": "\u0000\u00a1", "mandate_id": "0"}),
        ("/api/subsidies/bookings", {"activity_id": "0", "mandate_id": "a\u0000"}),
        ("/api/orders", {"items": [{"offer_id": "\u0000", "quantity": 1}]}),
    ):
        response = alice.post(path, json=body)
        assert response.status_code == 422, (path, response.text)


def test_breach_counts_beyond_the_columns_are_422(platform: Platform) -> None:
    dpo = platform.login("dpo@demo.test")
    for field in ("approx_people", "approx_records"):
        response = dpo.post("/api/privacy/breaches", json=breach_body(**{field: 2**31}))
        assert response.status_code == 422, response.text
    counted = dpo.post("/api/privacy/breaches", json=breach_body(approx_people=1_000_000_000))
    assert counted.status_code == 201, counted.text


def test_the_longest_texts_are_stored(platform: Platform) -> None:
    """The other bounded texts against their columns: tickets, partner requests, processors."""
    alice = platform.login("alice@demo.test")
    ticket = alice.post("/api/tickets", json={"subject": "t" * 200, "message": "m" * 5000})
    assert ticket.status_code == 201, ticket.text
    # The public form, from an address of its own (127.0.0.6): its budget is this test's
    # alone, so the application is answered, never refused by the gateway's rate limit.
    company = "c" * 192 + secrets.token_hex(4)
    application = {
        "tenant": "demo",
        "company": company,
        "contact_name": "n" * 200,
        "contact_email": "e" * 64 + "@" + "d" * 180 + ".example",
        "contact_phone": "+" + "1" * 29,
        "message": "m" * 5000,
    }
    transport = httpx.HTTPTransport(local_address="127.0.0.6", verify=platform.tls_context())
    with httpx.Client(base_url=platform.url, transport=transport, timeout=10) as anonymous:
        applied = anonymous.post("/api/partners/apply", json=application)
        assert applied.status_code == 202, applied.text
    # Stored whole: the agent's list shows it, every field at its longest.
    agent = platform.login("agent@demo.test")
    stored = [
        r
        for page in every_page(agent, "/api/partners/requests", limit=100)
        for r in page
        if r["company"] == company
    ]
    assert len(stored) == 1
    for field in ("contact_name", "contact_email", "contact_phone", "message"):
        assert stored[0][field] == application[field], field
    dpo = platform.login("dpo@demo.test")
    processor = dpo.post(
        "/api/privacy/processors",
        json={
            "name": "n" * 200,
            "role": "r" * 200,
            "data_categories": ["c" * 200],
            "location": "FR",
            "safeguard": "s" * 500,
        },
    )
    assert processor.status_code == 201, processor.text
    assert dpo.delete(f"/api/privacy/processors/{processor.json()['id']}").status_code == 204
