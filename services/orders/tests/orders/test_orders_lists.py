"""Lists never cut silently (issue 14): the offers and the orders page by keyset through the
routes, the newest first, each row once, with ``X-Next-Cursor`` while more follow; a cursor
that is not the list's own is a 422.

Before, ``GET /api/orders`` answered the newest 500 orders and stopped there without a word:
a tenant admin never saw the tenant's older orders. ``GET /api/offers`` had no bound at all.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert

from kit.auth import Role
from kit.pagination import encode_cursor
from kit.testing import BadgeVerifier, badge, every_page, ordered
from kit.web import create_app
from orders.config import Settings
from orders.models import Base, Offer, Order, events
from orders.offers import api as offers
from orders.orders import api as orders
from services.orders.tests.factories import make_principal, offer_values, order_values

#: The order of a list the newest first (by ``created_at``, then id).
newest_first = partial(ordered, by="created_at", newest_first=True)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TENANT, OTHER = "t-1", "t-2"
PEOPLE = {
    "admin": make_principal("u-admin", Role.TENANT_ADMIN, tenant_id=TENANT),
    "alice": make_principal("u-alice", Role.EMPLOYEE, tenant_id=TENANT),
}
NEXT = "X-Next-Cursor"


def order_row(tenant: str, user: str, created: datetime) -> dict[str, Any]:
    return order_values(
        tenant_id=tenant,
        user_id=user,
        items=[],
        total_cents=100,
        email="buyer@demo.test",
        created_at=created,
        delivery=None,
    )


def offer_row(tenant: str, n: int, created: datetime, *, active: bool = True) -> dict[str, Any]:
    return offer_values(tenant_id=tenant, title=f"Offer {n}", created_at=created, active=active)


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]:
    """1,203 orders of the tenant (Alice's every tenth; two at a time the same second: the
    id decides), 10 of another tenant; 230 offers on sale, 15 withdrawn, 5 of another tenant."""
    path = tmp_path / "orders.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    made = [
        order_row(TENANT, "u-alice" if n % 10 == 0 else f"u-{n}", NOW - timedelta(seconds=n // 2))
        for n in range(1203)
    ]
    made += [order_row(OTHER, "u-carol", NOW) for _ in range(10)]
    sold = [offer_row(TENANT, n, NOW - timedelta(minutes=n // 2)) for n in range(230)]
    sold += [offer_row(TENANT, n, NOW, active=False) for n in range(15)]
    sold += [offer_row(OTHER, n, NOW) for n in range(5)]
    with engine.begin() as conn:
        conn.execute(insert(Order), made)
        conn.execute(insert(Offer), sold)
    engine.dispose()
    return path, made, sold


@pytest.fixture
def client(
    tmp_path: Path, seeded: tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]
) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{seeded[0]}", var_dir=tmp_path)
    app = create_app(
        settings=settings, routers=[offers.router, orders.router], verifier=BadgeVerifier(PEOPLE)
    )
    with TestClient(app) as test_client:
        app.state.events = events  # the outbox without a relay: audit records stay here
        yield test_client


def test_the_tenants_orders_page_to_the_last_past_the_old_500(
    client: TestClient, seeded: tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    made = seeded[1]
    expected = ordered(
        [o for o in made if o["tenant_id"] == TENANT], "created_at", newest_first=True
    )
    assert len(expected) == 1203
    pages = every_page(client, "/api/orders", "admin", 500)
    assert [len(page) for page in pages] == [500, 500, 203]
    assert [o["id"] for page in pages for o in page] == expected  # the oldest 703 too
    pages = every_page(client, "/api/orders", "admin", 99)  # any page size: the same list
    assert [o["id"] for page in pages for o in page] == expected
    # Without a limit: the newest 100, and the cursor of the rest.
    first = client.get("/api/orders", headers=badge("admin"))
    assert [o["id"] for o in first.json()] == expected[:100] and first.headers[NEXT]


def test_a_persons_orders_page_one_at_a_time_and_offers_newest_first(
    client: TestClient, seeded: tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    made, sold = seeded[1], seeded[2]
    alices = ordered(
        [o for o in made if o["user_id"] == "u-alice"], "created_at", newest_first=True
    )
    assert len(alices) == 121
    pages = every_page(client, "/api/orders", "alice", 1)
    assert [o["id"] for page in pages for o in page] == alices  # her own only
    on_sale = ordered(
        [o for o in sold if o["tenant_id"] == TENANT and o["active"]],
        "created_at",
        newest_first=True,
    )
    pages = every_page(client, "/api/offers", "alice", 100)
    assert [len(page) for page in pages] == [100, 100, 30]
    assert [o["id"] for page in pages for o in page] == on_sale  # none withdrawn, none other


@pytest.mark.parametrize("path", ["/api/orders", "/api/offers"])
@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": encode_cursor("requests", [NOW, "x"])},  # another list's
        {"cursor": encode_cursor("orders", ["yesterday", "x"])},  # not a date
        {"cursor": encode_cursor("offers", [NOW])},  # a value missing
        {"cursor": "x" * 401},
        {"cursor": "a b"},
        {"limit": "0"},
        {"limit": "501"},
    ],
)
def test_a_bad_cursor_or_limit_is_a_422(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params, headers=badge("admin"))
    assert response.status_code == 422, response.text
    assert "yesterday" not in response.text  # says nothing of what it held


def test_one_lists_cursor_is_no_cursor_of_the_other(client: TestClient) -> None:
    orders_cursor = client.get("/api/orders", params={"limit": 1}, headers=badge("admin"))
    refused = client.get(
        "/api/offers", params={"cursor": orders_cursor.headers[NEXT]}, headers=badge("admin")
    )
    assert refused.status_code == 422 and "invalid cursor" in refused.json()["detail"]
