"""Art. 18 across the services: once a person's restriction is completed, the tenant admin no
longer lists or opens their orders and no newsletter reaches them, though they consented (the
privacy policy's own example); once the DPO lifts it, both come back."""

import secrets
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_governance import newsletter_mails, send_newsletter, wait_for
from tests.e2e.test_orders import offer
from tests.e2e.test_privacy import new_employee, wait_done

pytestmark = pytest.mark.e2e


def admin_sees(admin: httpx.Client, order_id: str) -> tuple[int, bool]:
    """The admin's answer for the order, and whether the tenant's list holds it (every page)."""
    listed, cursor = False, None
    while True:
        page = admin.get(
            "/api/orders", params={"limit": 500, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200
        listed = listed or order_id in {o["id"] for o in page.json()}
        cursor = page.headers.get("X-Next-Cursor")
        if not cursor:
            break
    return admin.get(f"/api/orders/{order_id}").status_code, listed


def test_a_restricted_persons_orders_and_newsletters_stop_until_lifted(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    person, admin = platform.login(email), platform.login("admin@demo.test")
    dpo = platform.login("dpo@demo.test")
    items = [{"offer_id": offer(person, "voucher")["id"], "quantity": 1}]
    placed = person.post("/api/orders", json={"items": items})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    given = person.put("/api/privacy/consents", json={"purpose": "newsletter", "granted": True})
    assert given.status_code == 200
    witness, _l, _i = new_employee(platform)
    platform.login(witness).put(
        "/api/privacy/consents", json={"purpose": "newsletter", "granted": True}
    )
    assert admin_sees(admin, order_id) == (200, True)

    request_id = person.post("/api/privacy/requests", json={"type": "restriction"}).json()["id"]
    done: dict[str, Any] = wait_done(person, request_id)
    assert done["status"] == "completed" and done["services"]["orders"] == "done"
    # Orders: kept, not shown to the admin; the person still reads their own.
    assert admin_sees(admin, order_id) == (404, False)
    assert person.get(f"/api/orders/{order_id}").status_code == 200
    frozen = f"News {secrets.token_hex(3)}"
    send_newsletter(platform, frozen)
    wait_for(lambda: newsletter_mails(platform, witness, frozen), "no newsletter for the witness")

    assert dpo.post(f"/api/privacy/requests/{request_id}/lift").status_code == 202
    assert wait_done(dpo, request_id)["status"] == "completed"
    assert admin_sees(admin, order_id) == (200, True)
    lifted = f"News {secrets.token_hex(3)}"
    send_newsletter(platform, lifted)
    # The next newsletter reaches the person: mailed after the first one would have been.
    wait_for(lambda: newsletter_mails(platform, email, lifted), "no newsletter once lifted")
    assert newsletter_mails(platform, email, frozen) == []
