"""Orders through the gateway: server pricing, isolation, bad input, erasure with retention."""

import asyncio
import io
import json
import time
import zipfile
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from orders.partners.pseudonyms import Pseudonyms
from orders.payments.provider import sign
from tests.e2e.conftest import Platform
from tests.e2e.test_privacy import _rows_mentioning, new_employee, wait_done

pytestmark = pytest.mark.e2e


def offer(client: httpx.Client, kind: str) -> dict[str, Any]:
    offers: list[dict[str, Any]] = client.get("/api/offers").json()
    return next(o for o in offers if o["kind"] == kind)


ADDRESS = {
    "name": "Dana Deliver",
    "street": "12 rue des Lilas",
    "postcode": "75011",
    "city": "Paris",
}


def test_order_is_priced_by_the_server(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    ticket = offer(alice, "ticket")
    placed = alice.post("/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 3}]})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["total_cents"] == 3 * ticket["price_cents"]
    assert order["email"] == "alice@demo.test"  # from the account, asked of identity
    assert order["status"] == "created" and order["subsidy_cents"] == 0
    cheat = {"items": [{"offer_id": ticket["id"], "quantity": 1, "price_cents": 1}]}
    assert alice.post("/api/orders", json=cheat).status_code == 422
    assert order["id"] in {o["id"] for o in alice.get("/api/orders").json()}
    # The confirmation mail went through the outbox to the SMTP sink.
    assert mail_about(platform, order["id"], "alice@demo.test", "confirm"), "no confirmation mail"


def mail_about(
    platform: Platform, order_id: str, to: str, word: str, timeout: float = 15
) -> list[str]:
    """The subjects of the sink's mails to ``to`` about an order whose subject has ``word``,
    waiting a while for one."""
    deadline, subjects = time.monotonic() + timeout, list[str]()
    while not subjects and time.monotonic() < deadline:
        for path in (platform.var_dir / "mail").glob("*.eml"):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            subject = str(message["Subject"])
            if message["To"] == to and order_id[:8] in subject and word in subject:
                subjects.append(subject)
        time.sleep(0.2)
    return subjects


def test_orders_are_isolated_by_owner_and_tenant(platform: Platform) -> None:
    alice, bob = platform.login("alice@demo.test"), platform.login("bob@demo.test")
    carol, admin = (
        platform.login("carol@other.test", tenant="other"),
        platform.login("admin@demo.test"),
    )
    order = alice.post(
        "/api/orders", json={"items": [{"offer_id": offer(alice, "voucher")["id"], "quantity": 1}]}
    ).json()
    for intruder in (bob, carol):
        assert intruder.get(f"/api/orders/{order['id']}").status_code == 404
        assert intruder.get(f"/api/orders/{order['id']}/invoice").status_code == 404
        assert intruder.post(f"/api/orders/{order['id']}/pay").status_code == 404
        assert intruder.post(f"/api/orders/{order['id']}/cancel").status_code == 404
        assert order["id"] not in {o["id"] for o in intruder.get("/api/orders").json()}
    reference = alice.post(f"/api/orders/{order['id']}/pay").json()["reference"]
    for intruder in (bob, carol, admin):  # nobody pays (or confirms) for someone else
        assert intruder.post(f"/api/payments/sandbox/{reference}").status_code == 404
        assert intruder.post(f"/api/orders/{order['id']}/pay").status_code == 404
    assert alice.get(f"/api/orders/{order['id']}").json()["status"] == "created"
    assert admin.get(f"/api/orders/{order['id']}").status_code == 200
    assert order["id"] in {o["id"] for o in admin.get("/api/orders").json()}
    assert order["id"] not in {
        o["id"]
        for o in platform.login("carol@other.test", tenant="other").get("/api/orders").json()
    }
    other_offer = offer(carol, "ticket")
    assert (
        alice.post(
            "/api/orders", json={"items": [{"offer_id": other_offer["id"], "quantity": 1}]}
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "items,status",
    [
        ([{"offer_id": "nope", "quantity": 1}], 404),
        ([{"offer_id": "TICKET", "quantity": 0}], 422),
        ([{"offer_id": "TICKET", "quantity": -1}], 422),
        ([{"offer_id": "TICKET", "quantity": 1000}], 422),
        ([{"offer_id": "TICKET", "quantity": 1}, {"offer_id": "TICKET", "quantity": 1}], 422),
        ([{"offer_id": "GOODS", "quantity": 1}], 422),  # goods without a delivery address
        ([], 422),
    ],
)
def test_bad_orders_are_4xx_and_change_nothing(
    platform: Platform, items: list[dict[str, Any]], status: int
) -> None:
    bob = platform.login("bob@demo.test")
    ids = {"TICKET": offer(bob, "ticket")["id"], "GOODS": offer(bob, "goods")["id"]}
    for item in items:
        item["offer_id"] = ids.get(item["offer_id"], item["offer_id"])
    before = len(bob.get("/api/orders").json())
    response = bob.post("/api/orders", json={"items": items})
    assert response.status_code == status, response.text
    assert len(bob.get("/api/orders").json()) == before


def test_only_a_tenant_admin_adds_offers(platform: Platform) -> None:
    body = {"title": "Concert", "kind": "ticket", "price_cents": 2000}
    assert platform.login("bob@demo.test").post("/api/offers", json=body).status_code == 403
    created = platform.login("admin@demo.test").post("/api/offers", json=body)
    assert created.status_code == 201
    assert created.json()["id"] in {
        o["id"] for o in platform.login("bob@demo.test").get("/api/offers").json()
    }
    assert (
        platform.login("admin@demo.test")
        .post("/api/offers", json=body | {"price_cents": -5})
        .status_code
        == 422
    )


async def _age_orders(url: str, order_ids: list[str], ages_days: list[int]) -> None:
    """The injectable clock of this test: move orders and their invoices back in time."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        for order_id, days in zip(order_ids, ages_days, strict=True):
            then = datetime.now(UTC) - timedelta(days=days)
            await conn.execute("UPDATE orders SET created_at = $1 WHERE id = $2", then, order_id)
            await conn.execute(
                "UPDATE invoices SET issued_at = $1 WHERE order_id = $2", then, order_id
            )
    finally:
        await conn.close()


BILLING = {
    "name": "Billy Bill",
    "street": "3 quai des Factures",
    "postcode": "69002",
    "city": "Lyon",
}


def pay(client: httpx.Client, order_id: str) -> None:
    """The buyer pays through the sandbox's page, which sends the signed webhook."""
    intent = client.post(f"/api/orders/{order_id}/pay")
    assert intent.status_code == 200, intent.text
    assert client.post(intent.json()["redirect_url"]).json() == {"outcome": "paid"}


def wait_status(client: httpx.Client, order_id: str, status: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while client.get(f"/api/orders/{order_id}").json()["status"] != status:
        assert time.monotonic() < deadline, f"order never {status}"
        time.sleep(0.2)


def partner_files(platform: Platform, partner: str, reference: str, kind: str) -> list[Path]:
    return list((platform.var_dir / "partners" / partner).glob(f"{reference}.{kind}.json"))


def test_erasure_keeps_the_recent_sale_and_drops_the_old_one(platform: Platform) -> None:
    email, last_name, user_id = new_employee(platform)
    person = platform.login(email)
    goods = offer(person, "goods")
    order_ids = []
    for _ in range(2):
        placed = person.post(
            "/api/orders",
            json={
                "items": [{"offer_id": goods["id"], "quantity": 1}],
                "delivery_address": ADDRESS,
                "billing_address": BILLING,
            },
        )
        assert placed.status_code == 201, placed.text
        order_ids.append(placed.json()["id"])
        pay(person, order_ids[-1])
        wait_status(person, order_ids[-1], "fulfilled")
    orders_db = platform.stack.config.database_urls["orders"]
    asyncio.run(_age_orders(orders_db, order_ids, [365, 6 * 365]))
    export = person.post("/api/privacy/requests", json={"type": "access"}).json()
    assert wait_done(person, export["id"])["status"] == "completed"
    archive = person.get(f"/api/privacy/requests/{export['id']}/archive").content
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        exported = json.loads(z.read("orders.json"))
    orders, invoices = exported["orders"], exported["invoices"]
    assert len(orders) == 2 and orders[0]["delivery_street"] == ADDRESS["street"]
    assert len(invoices) == 2 and invoices[0]["billing_name"] == BILLING["name"]
    disclosures = exported["disclosures"]  # the recipients of the person's data (Art. 15)
    assert {d["partner"] for d in disclosures} == {"parcels"} and len(disclosures) == 2
    request_id = person.post("/api/privacy/requests", json={"type": "erasure"}).json()["id"]
    done = wait_done(platform.login("dpo@demo.test"), request_id)
    assert done["status"] == "completed"
    erased = done["report"]["orders"]["erase"]
    tables = {t["table"]: t for t in erased["tables"]}
    kept = tables["orders"]
    assert kept["erased_rows"] == 2 and kept["kept_rows"] == 1
    assert kept["legal_basis"] == "legal_claims"  # L110-4: Art. 17(3)(e), not a legal duty
    assert kept["kept_until"][:4] == str(datetime.now(UTC).year - 1 + 5)
    # Invoices are accounting records: both within their ten years, both kept.
    assert tables["invoices"]["kept_rows"] == 2
    assert tables["invoices"]["kept_until"][:4] == str(datetime.now(UTC).year - 1 + 10)
    assert erased["recipients_told"] == ["parcels"]
    # The partner that got the delivery address was told to erase it (Art. 19).
    deadline = time.monotonic() + 15
    while not all(partner_files(platform, "parcels", d["reference"], "erase") for d in disclosures):
        assert time.monotonic() < deadline, "the partner was never told"
        time.sleep(0.2)
    found = asyncio.run(
        _rows_mentioning(
            orders_db,
            [ADDRESS["street"], ADDRESS["name"], email, user_id, last_name, BILLING["street"]],
        )
    )
    assert set(found) <= {"restricted_archive"}, found
    # The delivery address is gone; the invoice's billing address stays, restricted.
    assert ADDRESS["street"] not in found["restricted_archive"]
    assert BILLING["street"] in found["restricted_archive"]
    # Gone (404), or the session already refused (401) once the gateway's 2 s read cache ends.
    assert person.get(f"/api/orders/{order_ids[0]}").status_code in (401, 404)


def test_paid_order_is_fulfilled_by_partners_with_minimised_data(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    items = [{"offer_id": offer(alice, kind)["id"], "quantity": 1} for kind in ("ticket", "goods")]
    order = alice.post("/api/orders", json={"items": items, "delivery_address": ADDRESS}).json()
    assert alice.get(f"/api/orders/{order['id']}/invoice").status_code == 404  # not paid yet
    pay(alice, order["id"])
    invoice = alice.get(f"/api/orders/{order['id']}/invoice").json()
    assert invoice["total_cents"] == order["total_cents"]
    assert invoice["number"].startswith(str(datetime.now(UTC).year))
    assert invoice["billing_name"] == ADDRESS["name"]  # no billing address: the delivery one
    wait_status(alice, order["id"], "fulfilled")
    assert mail_about(platform, order["id"], "alice@demo.test", "confirm")
    assert mail_about(platform, order["id"], "alice@demo.test", "shipped"), "no shipping mail"
    # The test stack runs with the development key, so the test can name the references.
    names = Pseudonyms(b"dev-insecure-partner-pseudonyms")
    received = {
        partner: json.loads(
            partner_files(platform, partner, names.order(partner, order["id"]), "fulfil")[
                0
            ].read_text()
        )
        for partner in ("ticketing", "parcels")
    }
    ticket, parcel = received["ticketing"], received["parcels"]
    assert ticket["holder"] == names.holder("ticketing", alice.get("/api/auth/me").json()["id"])
    assert "recipient" not in ticket and "holder" not in parcel
    assert parcel["recipient"]["street"] == ADDRESS["street"]
    assert ticket["reference"] != parcel["reference"]
    text = json.dumps(received)
    assert order["id"] not in text and "alice@demo.test" not in text


def test_the_mailer_waits_for_the_smtp_server(platform: Platform) -> None:
    """The SMTP server is away when the mail is sent: it arrives once the server is back."""
    bob = platform.login("bob@demo.test")
    sink = platform.stack.process("mail-sink")
    sink.stop()
    try:
        order = bob.post(
            "/api/orders",
            json={"items": [{"offer_id": offer(bob, "voucher")["id"], "quantity": 1}]},
        ).json()
        assert not mail_about(platform, order["id"], "bob@demo.test", "confirm", timeout=3)
    finally:
        sink.start()
    assert mail_about(platform, order["id"], "bob@demo.test", "confirm", timeout=30)
    logs = "".join(p.read_text(errors="replace") for p in (platform.var_dir / "logs").glob("*.log"))
    assert "bob@demo.test" not in logs


def _webhook(
    event_type: str, reference: str, amount: int, *, event_id: str, at: int | None = None
) -> tuple[bytes, str]:
    """What the provider sends, signed with the sandbox secret of the test stack."""
    body = json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "data": {"reference": reference, "amount_cents": amount},
        }
    ).encode()
    return body, sign(b"dev-insecure-payment-webhook", at or int(time.time()), body)


def _send(client: httpx.Client, body: bytes, signature: str) -> httpx.Response:
    return client.post(
        "/api/payments/webhook",
        content=body,
        headers={"X-Payment-Signature": signature, "Content-Type": "application/json"},
    )


def test_payment_through_the_sandbox_and_signed_webhooks(
    platform: Platform, anonymous: httpx.Client
) -> None:
    bob = platform.login("bob@demo.test")
    order = bob.post(
        "/api/orders", json={"items": [{"offer_id": offer(bob, "ticket")["id"], "quantity": 1}]}
    ).json()
    intent = bob.post(f"/api/orders/{order['id']}/pay").json()
    assert intent["reference"].startswith("sbx_")
    assert (
        platform.login("alice@demo.test").post(f"/api/orders/{order['id']}/pay").status_code == 404
    )
    paid = bob.post(intent["redirect_url"])  # the buyer confirms on the provider's page
    assert paid.json() == {"outcome": "paid"}
    assert bob.get(f"/api/orders/{order['id']}").json()["status"] == "paid"
    total = order["total_cents"]
    body, signature = _webhook(
        "payment.succeeded", intent["reference"], total, event_id="evt_repeat_1"
    )
    assert _send(anonymous, body, signature).json() == {"outcome": "ignored: already further"}
    assert _send(anonymous, body, signature).json() == {"outcome": "duplicate"}  # delivered twice
    tampered = body.replace(b"payment.succeeded", b"payment.refunded")
    assert _send(anonymous, tampered, signature).status_code == 401
    old_body, old_signature = _webhook(
        "payment.refunded",
        intent["reference"],
        total,
        event_id="evt_old",
        at=int(time.time()) - 3600,
    )
    assert _send(anonymous, old_body, old_signature).status_code == 401  # a replayed capture
    assert _send(anonymous, body, "t=1,v1=deadbeef").status_code == 401
    refund, refund_sig = _webhook(
        "payment.refunded", intent["reference"], total, event_id="evt_refund_1"
    )
    assert _send(anonymous, refund, refund_sig).json() == {"outcome": "refunded"}
    late, late_sig = _webhook(
        "payment.succeeded", intent["reference"], total, event_id="evt_late_1"
    )
    assert _send(anonymous, late, late_sig).json() == {
        "outcome": "ignored: already further"
    }  # out of order
    assert bob.get(f"/api/orders/{order['id']}").json()["status"] == "refunded"


def test_admin_edits_and_withdraws_offers_of_their_tenant_only(platform: Platform) -> None:
    admin, bob = platform.login("admin@demo.test"), platform.login("bob@demo.test")
    created = admin.post(
        "/api/offers", json={"title": "Museum", "kind": "ticket", "price_cents": 900, "stock": 5}
    ).json()
    changed = admin.patch(f"/api/offers/{created['id']}", json={"price_cents": 800})
    assert changed.status_code == 200 and changed.json()["price_cents"] == 800
    assert admin.patch(f"/api/offers/{created['id']}", json={"title": None}).status_code == 422
    assert bob.patch(f"/api/offers/{created['id']}", json={"price_cents": 1}).status_code == 403
    other_admin_view = platform.login("carol@other.test", tenant="other")
    assert other_admin_view.delete(f"/api/offers/{created['id']}").status_code == 403
    order = bob.post(
        "/api/orders", json={"items": [{"offer_id": created["id"], "quantity": 2}]}
    ).json()
    assert order["total_cents"] == 1600
    stock = {o["id"]: o for o in bob.get("/api/offers").json()}[created["id"]]["stock"]
    assert stock == 3
    assert bob.post(f"/api/orders/{order['id']}/cancel").json()["status"] == "cancelled"
    assert {o["id"]: o for o in bob.get("/api/offers").json()}[created["id"]]["stock"] == 5
    assert bob.post(f"/api/orders/{order['id']}/cancel").status_code == 409
    assert admin.delete(f"/api/offers/{created['id']}").status_code == 204
    assert created["id"] not in {o["id"] for o in bob.get("/api/offers").json()}
    again = bob.post("/api/orders", json={"items": [{"offer_id": created["id"], "quantity": 1}]})
    assert again.status_code == 404  # withdrawn
    assert bob.get(f"/api/orders/{order['id']}").json()["items"][0]["title"] == "Museum"


def test_the_last_units_of_a_stock_go_to_as_many_orders_at_once_and_no_more(
    platform: Platform,
) -> None:
    """The stock is taken after the call to subsidies (place_order), so that no order holds the
    offer's row during another service's answer: eight orders at once for five units still
    sell five, refuse three with a 409, and never take the stock below zero."""
    admin = platform.login("admin@demo.test")
    created = admin.post(
        "/api/offers", json={"title": "Concert", "kind": "ticket", "price_cents": 2500, "stock": 5}
    ).json()
    buyers = [platform.login(new_employee(platform)[0]) for _ in range(8)]
    too_many = buyers[0].post(
        "/api/orders", json={"items": [{"offer_id": created["id"], "quantity": 6}]}
    )
    assert too_many.status_code == 409
    assert too_many.json() == {"detail": "not enough left of an offer"}

    async def place(client: httpx.Client) -> int:
        body = {"items": [{"offer_id": created["id"], "quantity": 1}]}
        answer = await asyncio.to_thread(client.post, "/api/orders", json=body)
        return answer.status_code

    async def all_at_once() -> list[int]:
        return list(await asyncio.gather(*(place(b) for b in buyers)))

    statuses = asyncio.run(all_at_once())
    assert sorted(statuses) == [201] * 5 + [409] * 3, statuses
    left = {o["id"]: o for o in admin.get("/api/offers").json()}[created["id"]]["stock"]
    assert left == 0
    assert admin.delete(f"/api/offers/{created['id']}").status_code == 204


def test_a_corrected_delivery_address_reaches_the_partner(platform: Platform) -> None:
    email, _last, _user_id = new_employee(platform)
    person = platform.login(email)
    items = [{"offer_id": offer(person, "goods")["id"], "quantity": 1}]
    order = person.post("/api/orders", json={"items": items, "delivery_address": ADDRESS}).json()
    pay(person, order["id"])
    wait_status(person, order["id"], "fulfilled")
    filed = person.post(
        "/api/privacy/requests",
        json={
            "type": "rectification",
            "corrections": {"orders.orders.delivery_street": "8 avenue Corrigée"},
        },
    ).json()
    done = wait_done(person, filed["id"])
    assert done["status"] == "completed"
    assert done["report"]["orders"]["rectify"]["recipients_told"] == ["parcels"]
    assert person.get(f"/api/orders/{order['id']}").json()["delivery_address"]["street"] == (
        "8 avenue Corrigée"
    )
    reference = Pseudonyms(b"dev-insecure-partner-pseudonyms").order("parcels", order["id"])
    deadline = time.monotonic() + 15
    while not (found := partner_files(platform, "parcels", reference, "rectify")):
        assert time.monotonic() < deadline, "the partner never got the correction"
        time.sleep(0.2)
    assert json.loads(found[0].read_text())["recipient"]["street"] == "8 avenue Corrigée"
