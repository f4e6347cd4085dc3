"""The campaign routes in process: the preview's warning, the 409 without the confirmation
(nothing issued), the yearly report paged as JSON and as CSV, the employee's own vouchers, who
may call what, and bad input refused."""

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert

from kit.auth import Principal, Role
from kit.db import Database
from kit.errors import Conflict
from kit.testing import BadgeVerifier, badge
from subsidies.campaigns import service
from subsidies.campaigns.schemas import CampaignIn, PreviewPublic
from subsidies.config import Settings
from subsidies.main import build_app
from subsidies.models import Base, Profile

TENANT = "t-1"
NOW = datetime.now(UTC)
PEOPLE = {
    "admin": Principal("u-admin", TENANT, "demo", frozenset({Role.TENANT_ADMIN.value}), "s"),
    "p0": Principal("p0", TENANT, "demo", frozenset({Role.EMPLOYEE.value}), "s"),
}
LIMIT = 20_025
BODY = {"name": "Noël", "event": "christmas", "amount_cents": LIMIT + 1}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    path = tmp_path / "subsidies.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(Profile),
            [
                {"user_id": f"p{n}", "tenant_id": TENANT, "children_count": n, "updated_at": NOW}
                for n in range(7)
            ]
            + [{"user_id": "x", "tenant_id": "t-2", "children_count": 1, "updated_at": NOW}],
        )
    engine.dispose()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{path}",
        var_dir=tmp_path,
        pmss_cents={NOW.year: 400_500},  # this year's, whichever it is: 2026's value
    )
    with TestClient(build_app(settings, verifier=BadgeVerifier(PEOPLE), outbox=None)) as client:
        yield client


async def plan_or_create(
    client: TestClient, *, create: bool = False, confirm: bool = False
) -> service.Plan:
    """The campaign of ``BODY`` previewed, or created, with identity's answer: the tenant's
    employees p0 to p6 (all with a profile)."""

    settings = client.app.state.settings  # type: ignore[attr-defined]
    database = Database(settings.database_url)
    draft = CampaignIn.model_validate(BODY).draft()
    try:
        async with database.transaction() as db:
            if not create:
                return await service.plan(
                    db,
                    settings=settings,
                    tenant_id=TENANT,
                    draft=draft,
                    now=NOW,
                    employees={f"p{n}" for n in range(7)},
                )
            _, result = await service.create(
                db,
                settings=settings,
                tenant_id=TENANT,
                draft=draft,
                confirm_over_limit=confirm,
                now=NOW,
                employees={f"p{n}" for n in range(7)},
            )
            return result
    finally:
        await database.dispose()


def report_pages(client: TestClient, *, limit: int) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"year": NOW.year, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        answer = client.get(
            "/api/subsidies/campaigns/report", params=params, headers=badge("admin")
        )
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        cursor = answer.headers.get("x-next-cursor")
        if cursor is None:
            return pages


def test_over_the_limit_is_warned_refused_then_confirmed_and_reported(
    client: TestClient,
) -> None:
    admin = badge("admin")
    events = client.get("/api/subsidies/campaigns/events", headers=admin).json()
    assert {"event": "christmas", "per_child_limit": False, "limit_cents": LIMIT} in events
    # The preview and the creation ask identity for the tenant's employees: through the real
    # identity in tests/e2e/test_campaigns.py; here the service is called with its answer.
    preview = PreviewPublic.of(asyncio.run(plan_or_create(client))).model_dump()
    assert (preview["beneficiaries"], preview["exceeding_count"]) == (7, 7)  # not t-2's
    assert preview["exceeding"][0] == {
        "user_id": "p0",
        "already_cents": 0,
        "new_cents": LIMIT + 1,
        "limit_cents": LIMIT,
        "excess_cents": LIMIT + 1,  # one cent above: the whole voucher is subject
    }
    with pytest.raises(Conflict, match="7 beneficiaries"):
        asyncio.run(plan_or_create(client, create=True))
    assert client.get("/api/subsidies/campaigns", headers=admin).json() == []
    assert client.get("/api/subsidies/vouchers", headers=badge("p0")).json() == []
    asyncio.run(plan_or_create(client, create=True, confirm=True))
    listed = client.get("/api/subsidies/campaigns", headers=admin).json()
    assert [c["not_exempt_cents"] for c in listed] == [7 * (LIMIT + 1)]

    pages = report_pages(client, limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    lines = [line for page in pages for line in page]
    assert [line["user_id"] for line in lines] == [f"p{n}" for n in range(7)]
    assert {(line["exempt_cents"], line["not_exempt_cents"]) for line in lines} == {(0, LIMIT + 1)}
    first = client.get(
        f"/api/subsidies/campaigns/report.csv?year={NOW.year}&limit=3", headers=admin
    )
    assert first.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(first.text)))
    assert [r["user_id"] for r in rows] == ["p0", "p1", "p2"] and rows[0][
        "not_exempt_cents"
    ] == str(LIMIT + 1)
    cursor = first.headers["x-next-cursor"]
    rest = client.get(
        f"/api/subsidies/campaigns/report.csv?year={NOW.year}&limit=500&cursor={cursor}",
        headers=admin,
    )
    assert "x-next-cursor" not in rest.headers
    assert [r["user_id"] for r in csv.DictReader(io.StringIO(rest.text))] == [
        f"p{n}" for n in range(3, 7)
    ]

    own = client.get("/api/subsidies/vouchers", headers=badge("p0")).json()
    assert [(v["amount_cents"], v["remaining_cents"]) for v in own] == [(LIMIT + 1, LIMIT + 1)]


def test_who_may_call_and_bad_input(client: TestClient) -> None:
    employee, admin = badge("p0"), badge("admin")
    for method, path in (
        ("GET", "/api/subsidies/campaigns"),
        ("GET", "/api/subsidies/campaigns/events"),
        ("GET", f"/api/subsidies/campaigns/report?year={NOW.year}"),
        ("POST", "/api/subsidies/campaigns/preview"),
    ):
        assert client.request(method, path, json=BODY, headers=employee).status_code == 403
    assert client.get("/api/subsidies/vouchers").status_code == 401
    for bad in (
        BODY | {"event": "birthday"},
        BODY | {"event": "Noël!"},
        BODY | {"amount_cents": 0},
        BODY | {"per_child": True},
        BODY | {"extra": 1},
    ):
        answer = client.post("/api/subsidies/campaigns", json=bad, headers=admin)
        assert answer.status_code == 422, bad
    assert client.get("/api/subsidies/campaigns/report?year=1999", headers=admin).status_code == 422
    unknown_year = client.get("/api/subsidies/campaigns/report?year=2099", headers=admin)
    assert unknown_year.status_code == 422 and "2099" in unknown_year.json()["detail"]
    assert client.get("/api/subsidies/campaigns", headers=admin).json() == []
