"""Lists never cut silently (issue 14): the rules, the rules a person meets, the activities, a
person's mandates and bookings page by keyset through the routes, in the order the database
gives, each row once, with ``X-Next-Cursor`` while more follow; a cursor that is not the
list's own is a 422.

Before, ``GET /api/subsidies/bookings`` answered the newest 500 bookings and stopped there
without a word; the other lists had no bound, and the eligibility was filtered in Python.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert

from kit.auth import Principal, Role
from kit.pagination import encode_cursor
from kit.testing import BadgeVerifier, badge, every_page, ordered
from services.subsidies.tests.factories import activity_row, booking_row, mandate_row, rule_row
from subsidies.config import Settings
from subsidies.context import Context
from subsidies.main import build_app
from subsidies.models import Activity, Base, Booking, Mandate, Profile, Rule

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TENANT, OTHER = "t-1", "t-2"
PEOPLE = {
    "admin": Principal("u-admin", TENANT, "demo", frozenset({Role.TENANT_ADMIN.value}), "s"),
    "alice": Principal("u-alice", TENANT, "demo", frozenset({Role.EMPLOYEE.value}), "s"),
}
NEXT = "X-Next-Cursor"


def rule(tenant: str, n: int, *, min_children: int, active: bool = True) -> dict[str, Any]:
    created_at = NOW - timedelta(days=300) + timedelta(minutes=n // 2)
    return rule_row(
        tenant_id=tenant,
        name=f"Rule {n}",
        min_children=min_children,
        active=active,
        created_at=created_at,
    )


@pytest.fixture
def seeded(tmp_path: Path, context: Context) -> tuple[Path, dict[str, list[dict[str, Any]]]]:
    """For tenant t-1: 230 rules in force (Alice, with 2 children, meets those asking 0-2 of
    the 3 conditions: 154), 10 withdrawn; 205 activities (15 withdrawn); Alice's 130
    mandates and 620 bookings (past the old 500), and others' of the same tenant and of
    another tenant. Two at a time the same instant: the id decides."""
    path = tmp_path / "subsidies.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    rules = [rule(TENANT, n, min_children=n % 3 * 2) for n in range(230)]
    rules += [rule(TENANT, n, min_children=0, active=False) for n in range(10)]
    rules += [rule(OTHER, n, min_children=0) for n in range(5)]
    shows = [
        activity_row(
            tenant_id=tenant,
            title=f"Trip {n}",
            starts_at=NOW + timedelta(days=n // 2),
            active=active,
            created_at=NOW,
        )
        for tenant, active, count in ((TENANT, True, 190), (TENANT, False, 15), (OTHER, True, 5))
        for n in range(count)
    ]
    mandates = [
        mandate_row(
            context.cipher,
            reference=f"CSE-{n:016X}",
            user_id="u-alice",
            signed_at=NOW - timedelta(hours=n // 2),
        )
        for n in range(130)
    ]
    bookings = [
        booking_row(
            tenant_id=tenant,
            user_id=user,
            activity_id=shows[0]["id"],
            mandate_id=mandates[n % 130]["id"] if user == "u-alice" else None,
            created_at=NOW - timedelta(minutes=n // 2),
        )
        for tenant, user, count in (
            (TENANT, "u-alice", 620),
            (TENANT, "u-bob", 30),
            (OTHER, "u-alice", 5),
        )
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Rule), rules)
        conn.execute(insert(Activity), shows)
        conn.execute(insert(Mandate), mandates)
        conn.execute(insert(Booking), bookings)
        conn.execute(
            insert(Profile),
            {"user_id": "u-alice", "tenant_id": TENANT, "children_count": 2, "updated_at": NOW},
        )
    engine.dispose()
    return path, {"rules": rules, "activities": shows, "mandates": mandates, "bookings": bookings}


@pytest.fixture
def client(
    tmp_path: Path, seeded: tuple[Path, dict[str, list[dict[str, Any]]]]
) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{seeded[0]}", var_dir=tmp_path)
    with TestClient(build_app(settings, verifier=BadgeVerifier(PEOPLE), outbox=None)) as client:
        yield client


def ids(pages: list[list[dict[str, Any]]], key: str = "id") -> list[str]:
    return [item[key] for page in pages for item in page]


def test_a_persons_bookings_page_to_the_last_past_the_old_500(
    client: TestClient, seeded: tuple[Path, dict[str, list[dict[str, Any]]]]
) -> None:
    rows = seeded[1]
    alices = [b for b in rows["bookings"] if b["user_id"] == "u-alice" and b["tenant_id"] == TENANT]
    expected = ordered(alices, "created_at", newest_first=True)
    assert len(expected) == 620
    pages = every_page(client, "/api/subsidies/bookings", "alice", 500)
    assert [len(page) for page in pages] == [500, 120]
    assert ids(pages) == expected  # the oldest 120 too; nobody else's
    mandate_of = {b["id"]: b["mandate_id"] for b in alices}
    assert all(b["mandate"]["id"] == mandate_of[b["id"]] for page in pages for b in page)
    assert all(b["mandate"]["iban"].endswith("0189") for page in pages for b in page)
    assert ids(every_page(client, "/api/subsidies/bookings", "alice", 37)) == expected


def test_rules_activities_and_mandates_page_in_their_order(
    client: TestClient, seeded: tuple[Path, dict[str, list[dict[str, Any]]]]
) -> None:
    rows = seeded[1]
    in_force = [r for r in rows["rules"] if r["tenant_id"] == TENANT and r["active"]]
    pages = every_page(client, "/api/subsidies/rules", "admin", 100)
    assert [len(page) for page in pages] == [100, 100, 30]
    assert ids(pages) == ordered(in_force, "created_at", newest_first=False)
    on_offer = [a for a in rows["activities"] if a["tenant_id"] == TENANT and a["active"]]
    pages = every_page(client, "/api/subsidies/activities", "alice", 100)
    assert ids(pages) == ordered(on_offer, "starts_at", newest_first=False)
    pages = every_page(client, "/api/subsidies/mandates", "alice", 50)
    assert [len(page) for page in pages] == [50, 50, 30]
    assert ids(pages) == ordered(rows["mandates"], "signed_at", newest_first=True)
    assert {m["iban"] for page in pages for m in page} == {"FR76 **** **** 0189"}


def test_the_rules_a_person_meets_page_whole_pages(
    client: TestClient, seeded: tuple[Path, dict[str, list[dict[str, Any]]]]
) -> None:
    """The condition is in the query: each page is full until the last one."""
    rows = seeded[1]
    met = [
        r
        for r in rows["rules"]
        if r["tenant_id"] == TENANT and r["active"] and r["min_children"] <= 2
    ]
    assert len(met) == 154
    pages = every_page(client, "/api/subsidies/eligibility", "alice", 100)
    assert [len(page) for page in pages] == [100, 54]
    assert ids(pages, "rule_id") == ordered(met, "created_at", newest_first=False)
    assert {e["remaining_cents"] for page in pages for e in page} == {1000}


PATHS = [
    ("/api/subsidies/rules", "admin"),
    ("/api/subsidies/eligibility", "alice"),
    ("/api/subsidies/activities", "alice"),
    ("/api/subsidies/mandates", "alice"),
    ("/api/subsidies/bookings", "alice"),
]


@pytest.mark.parametrize(("path", "who"), PATHS)
@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": encode_cursor("orders", [NOW, "x"])},  # another list's
        {"cursor": encode_cursor("rules", ["yesterday", "x"])},  # not a date
        {"cursor": "x" * 401},
        {"cursor": "a b"},
        {"limit": "0"},
        {"limit": "501"},
    ],
)
def test_a_bad_cursor_or_limit_is_a_422(
    client: TestClient, path: str, who: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params, headers=badge(who))
    assert response.status_code == 422, response.text
    assert "yesterday" not in response.text  # says nothing of what it held


def test_the_rules_cursor_is_no_cursor_of_the_rules_a_person_meets(client: TestClient) -> None:
    rules = client.get("/api/subsidies/rules", params={"limit": 1}, headers=badge("admin"))
    refused = client.get(
        "/api/subsidies/eligibility", params={"cursor": rules.headers[NEXT]}, headers=badge("alice")
    )
    assert refused.status_code == 422 and "invalid cursor" in refused.json()["detail"]
