"""Prometheus metrics (X4): each API exposes them on the internal network, never through the
gateway; labels carry route templates, never ids."""

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_orders import offer
from tests.e2e.test_privacy import wait_done

pytestmark = pytest.mark.e2e


def test_services_expose_metrics_by_route_template(
    platform: Platform, anonymous: httpx.Client
) -> None:
    bob = platform.login("bob@demo.test")
    # An order of Bob's own, read and cancelled by its id: requests whose paths hold an id.
    ticket = offer(bob, "ticket")
    placed = bob.post("/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 1}]})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    assert bob.get(f"/api/orders/{order_id}").status_code == 200
    assert bob.post(f"/api/orders/{order_id}/cancel").status_code == 200
    orders = bob.get("/api/orders").json()
    assert order_id in {o["id"] for o in orders}
    for name in ("identity", "orders", "subsidies", "support", "privacy"):
        text = httpx.get(platform.service_url(name, "/metrics"), timeout=5).text
        assert "http_request_duration_seconds_bucket" in text, name
    text = httpx.get(platform.service_url("orders", "/metrics"), timeout=5).text
    assert 'route="/api/offers"' in text and 'service="orders"' in text
    assert 'route="/api/orders/{order_id}"' in text  # the read above, by its template
    assert 'route="/api/orders/{order_id}/cancel"' in text
    for order in orders:
        assert order["id"] not in text  # templates, never ids
    through_gateway = anonymous.get("/metrics")
    assert "http_request_duration_seconds" not in through_gateway.text


def test_workers_expose_backlog_dead_letters_and_request_durations(platform: Platform) -> None:
    alice = platform.login("alice@demo.test")
    filed = alice.post("/api/privacy/requests", json={"type": "access"}).json()
    assert wait_done(alice, filed["id"])["status"] == "completed"
    port = platform.stack.config.port(platform.spec("privacy")) + 100
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert 'dsr_duration_seconds_count{status="completed",type="access"}' in text
    assert 'outbox_backlog{service="privacy"}' in text
    assert "dead_letter_messages{queue=" in text
