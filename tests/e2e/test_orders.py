"""Orders through the gateway: server pricing, isolation, bad input, erasure with retention."""

import asyncio
import io
import json
import time
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from orders.payments import sign
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
    deadline, mails = time.monotonic() + 15, list[str]()
    while not mails and time.monotonic() < deadline:
        texts = [m.read_text(errors="replace") for m in (platform.var_dir / "mail").glob("*.eml")]
        mails = [t for t in texts if order["id"][:8] in t and "To: alice@demo.test" in t]
        time.sleep(0.2)
    assert mails, "no confirmation mail"


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
        assert order["id"] not in {o["id"] for o in intruder.get("/api/orders").json()}
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


async def _age_orders(url: str, user_id: str, ages_days: list[int]) -> list[str]:
    """The injectable clock of this test: move the person's orders back in time."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM orders WHERE user_id = $1 ORDER BY id", user_id
            )
        ]
        for order_id, days in zip(ids, ages_days, strict=True):
            await conn.execute(
                "UPDATE orders SET created_at = $1 WHERE id = $2",
                datetime.now(UTC) - timedelta(days=days),
                order_id,
            )
        return ids
    finally:
        await conn.close()


def test_erasure_keeps_the_recent_sale_and_drops_the_old_one(platform: Platform) -> None:
    email, last_name, user_id = new_employee(platform)
    person = platform.login(email)
    goods = offer(person, "goods")
    for _ in range(2):
        placed = person.post(
            "/api/orders",
            json={"items": [{"offer_id": goods["id"], "quantity": 1}], "delivery_address": ADDRESS},
        )
        assert placed.status_code == 201, placed.text
    asyncio.run(_age_orders(platform.stack.config.database_urls["orders"], user_id, [365, 6 * 365]))
    export = person.post("/api/privacy/requests", json={"type": "access"}).json()
    assert wait_done(person, export["id"])["status"] == "completed"
    archive = person.get(f"/api/privacy/requests/{export['id']}/archive").content
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        orders = json.loads(z.read("orders.json"))["orders"]
    assert len(orders) == 2 and orders[0]["delivery_street"] == ADDRESS["street"]
    request_id = person.post("/api/privacy/requests", json={"type": "erasure"}).json()["id"]
    done = wait_done(platform.login("dpo@demo.test"), request_id)
    assert done["status"] == "completed"
    kept = {t["table"]: t for t in done["report"]["orders"]["erase"]["tables"]}["orders"]
    assert kept["erased_rows"] == 2 and kept["kept_rows"] == 1
    assert kept["legal_basis"] == "legal_obligation"
    assert kept["kept_until"][:4] == str(datetime.now(UTC).year - 1 + 5)
    found = asyncio.run(
        _rows_mentioning(
            platform.stack.config.database_urls["orders"],
            [ADDRESS["street"], ADDRESS["name"], email, user_id, last_name],
        )
    )
    assert set(found) <= {"restricted_archive"}, found
    assert ADDRESS["street"] not in json.dumps(found)


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
