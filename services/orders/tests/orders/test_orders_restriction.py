"""Art. 18: while a buyer's processing is restricted, the tenant admin no longer lists or opens
their orders (kept, not used); the buyer still sees their own, and a lifted restriction shows
them to the admin again. Through the routes, as the gateway's callers see them."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete, insert

from kit.auth import Role
from kit.testing import BadgeVerifier, badge, every_page
from kit.web import create_app
from orders.base import subject_data
from orders.config import Settings
from orders.models import Base, Order, events
from orders.orders import api as orders
from services.orders.tests.factories import make_principal, order_values

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TENANT = "t-1"
PEOPLE = {
    "admin": make_principal("u-admin", Role.TENANT_ADMIN, tenant_id=TENANT),
    "frozen": make_principal("u-frozen", Role.EMPLOYEE, tenant_id=TENANT),
}


def order_row(user: str, n: int) -> dict[str, Any]:
    return order_values(
        tenant_id=TENANT,
        user_id=user,
        items=[],
        total_cents=100,
        email="buyer@demo.test",
        created_at=NOW - timedelta(minutes=n),
        delivery=None,
    )


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """25 orders of the tenant, every fifth by ``u-frozen``, whose processing is restricted."""
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    made = [order_row("u-frozen" if n % 5 == 0 else f"u-{n}", n) for n in range(25)]
    with engine.begin() as conn:
        conn.execute(insert(Order), made)
        conn.execute(
            insert(subject_data.restrictions).values(subject="u-frozen", request_id="r", since=NOW)
        )
    engine.dispose()
    yield url, made


@pytest.fixture
def client(tmp_path: Path, database: tuple[str, list[dict[str, Any]]]) -> Iterator[TestClient]:
    url = database[0].replace("sqlite://", "sqlite+aiosqlite://")
    settings = Settings(database_url=url, var_dir=tmp_path)
    app = create_app(settings=settings, routers=[orders.router], verifier=BadgeVerifier(PEOPLE))
    with TestClient(app) as test_client:
        app.state.events = events
        yield test_client


def listed(client: TestClient, who: str) -> list[str]:
    return [o["id"] for page in every_page(client, "/api/orders", who, 7) for o in page]


def test_the_admin_no_longer_sees_a_restricted_buyers_orders(
    client: TestClient, database: tuple[str, list[dict[str, Any]]]
) -> None:
    url, made = database
    frozen = [o["id"] for o in made if o["user_id"] == "u-frozen"]
    others = [o["id"] for o in made if o["user_id"] != "u-frozen"]
    assert len(frozen) == 5
    # Left out by the query: full pages of the others, none of the restricted buyer's.
    assert listed(client, "admin") == others
    for order_id in frozen:
        assert client.get(f"/api/orders/{order_id}", headers=badge("admin")).status_code == 404
    assert client.get(f"/api/orders/{others[0]}", headers=badge("admin")).status_code == 200
    # The buyer still reads their own: the data is kept, for them and for the law.
    assert listed(client, "frozen") == frozen
    assert client.get(f"/api/orders/{frozen[0]}", headers=badge("frozen")).status_code == 200
    # Lifted (Art. 18(3)): the admin sees them again.
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(delete(subject_data.restrictions))
    engine.dispose()
    assert listed(client, "admin") == [o["id"] for o in made]
    assert client.get(f"/api/orders/{frozen[0]}", headers=badge("admin")).status_code == 200
