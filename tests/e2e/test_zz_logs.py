"""No log under the stack's var/ holds an email address, an IBAN or a name (X4).

The test makes its own traffic first (the flows that carry personal data: accounts made,
signed in and refused, a password reset, an order to an address, a SEPA mandate, a ticket,
bad inputs), so it means the same wherever it runs in the suite; the end of every session
scans again everything the suite did (``logs_scanned_at_the_end`` in conftest.py)."""

import secrets

import pytest

from tests.e2e.conftest import (
    EMAIL,
    PASSWORD,
    WRITTEN,
    Platform,
    assert_logs_hold_none_of,
)
from tests.e2e.test_orders import offer
from tests.e2e.test_subsidies import BIC, IBAN

pytestmark = pytest.mark.e2e


def test_no_log_holds_an_email_an_iban_or_a_demo_name(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    first, last = f"Zelda{secrets.token_hex(3)}", f"Quill{secrets.token_hex(3)}"
    email = f"logscan-{secrets.token_hex(4)}@demo.test"
    body = {"email": email, "first_name": first, "last_name": last, "password": PASSWORD}
    assert admin.post("/api/users", json=body).status_code == 201
    assert admin.post("/api/users", json=body).status_code == 409  # the same address again
    with platform.client() as anonymous:
        wrong = {"tenant": "demo", "email": email, "password": PASSWORD + "x"}
        assert anonymous.post("/api/auth/login", json=wrong).status_code == 401
        nobody = {"tenant": "demo", "email": f"nobody-{secrets.token_hex(3)}@demo.test"}
        assert anonymous.post("/api/auth/login", json=nobody | {"password": "x"}).status_code in (
            401,
            422,
        )
        reset = anonymous.post("/api/auth/password-reset", json={"tenant": "demo", "email": email})
        assert reset.status_code == 202
    person = platform.login(email)
    holder = f"Holder {last}"
    street = f"{secrets.token_hex(3)} rue {last}"
    address = {"name": f"{first} {last}", "street": street, "postcode": "75011", "city": "Paris"}
    item = {"offer_id": offer(person, "goods")["id"], "quantity": 1}
    placed = person.post("/api/orders", json={"items": [item], "delivery_address": address})
    assert placed.status_code == 201, placed.text
    bad_address = address | {"postcode": email}
    refused = person.post("/api/orders", json={"items": [item], "delivery_address": bad_address})
    assert refused.status_code == 422
    signed = person.post(
        "/api/subsidies/mandates", json={"holder": holder, "iban": IBAN, "bic": BIC}
    )
    assert signed.status_code == 201, signed.text
    bad_iban = IBAN[:-1] + "8"
    mandate = {"holder": holder, "iban": bad_iban, "bic": BIC}
    assert person.post("/api/subsidies/mandates", json=mandate).status_code == 422
    text = f"Please call {first} {last} at {email}"
    ticket = person.post("/api/tickets", json={"subject": f"About {last}", "message": text})
    assert ticket.status_code == 201, ticket.text
    assert person.get("/api/auth/me").json()["email"] == email
    assert_logs_hold_none_of(
        platform,
        (*WRITTEN, first, last, holder, street, IBAN.replace(" ", ""), IBAN, bad_iban),
        EMAIL,
    )
