"""Lists never cut silently (issue 14): the tenant's accounts and a person's sessions page by
keyset through the routes, in the order the database gives, each row once, with
``X-Next-Cursor`` while more follow; a cursor that is not the list's own is a 422.

Before, ``GET /api/users`` answered every account of the tenant at once, sorted by email, and
``GET /api/auth/sessions`` every open session: no bound, no page. The accounts are now the
newest first (not by email: a cursor travels in a URL, an email address never does).
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert

from identity.accounts import api as accounts
from identity.config import Settings
from identity.models import Base, Session, Tenant, User, events, subject_data
from identity.sessions import api as sessions
from kit.auth import Principal, Role
from kit.pagination import encode_cursor
from kit.testing import BadgeVerifier, badge, every_page, ordered
from kit.web import create_app

#: The order of a list the newest first (by ``created_at``, then id).
newest_first = partial(ordered, by="created_at", newest_first=True)

NOW = datetime.now(UTC).replace(microsecond=0)
TENANT, OTHER = str(uuid.uuid4()), str(uuid.uuid4())
ADMIN = Principal("u-admin", TENANT, "demo", frozenset({Role.TENANT_ADMIN.value}), "s-admin")
PERSON_ID = str(uuid.uuid4())
PERSON = Principal(PERSON_ID, TENANT, "demo", frozenset({Role.EMPLOYEE.value}), "s-0")
PEOPLE = {"admin": ADMIN, "person": PERSON}
NEXT = "X-Next-Cursor"


def account(tenant: str, n: int, created: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant,
        "email": f"person-{n:04d}@demo.test",
        "first_name": "P",
        "last_name": f"N{n}",
        "roles": ["employee"],
        "is_active": True,
        "created_at": created,
    }


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]:
    """261 accounts of the tenant (three at a time created the same second: the id decides;
    the emails in the opposite order of creation), 20 of another tenant, one restricted;
    the person's 130 open sessions, and some revoked or expired."""
    path = tmp_path / "identity.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    accounts = [account(TENANT, 9999 - n, NOW - timedelta(seconds=n // 3)) for n in range(261)]
    accounts[100]["id"] = PERSON_ID
    others = [account(OTHER, n, NOW) for n in range(20)]
    sessions: list[dict[str, Any]] = [
        {
            "id": str(uuid.uuid4()),
            "user_id": PERSON_ID,
            "tenant_id": TENANT,
            "token_hash": uuid.uuid4().hex,
            "created_at": NOW - timedelta(minutes=n // 2),
            "expires_at": NOW + timedelta(hours=1),
            "revoked_at": NOW if n % 7 == 6 else None,  # ended: never listed
        }
        for n in range(152)
    ]
    sessions += [  # expired
        {
            "id": str(uuid.uuid4()),
            "user_id": PERSON_ID,
            "tenant_id": TENANT,
            "token_hash": uuid.uuid4().hex,
            "created_at": NOW - timedelta(days=2),
            "expires_at": NOW - timedelta(days=1),
            "revoked_at": None,
        }
        for _ in range(5)
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(Tenant),
            [
                {"id": TENANT, "slug": "demo", "name": "Demo", "created_at": NOW},
                {"id": OTHER, "slug": "other", "name": "Other", "created_at": NOW},
            ],
        )
        conn.execute(insert(User), accounts + others)
        conn.execute(insert(Session), sessions)
        conn.execute(
            insert(subject_data.restrictions),
            {"subject": accounts[7]["id"], "request_id": "r-1", "since": NOW},
        )
    engine.dispose()
    live = [s for s in sessions if s["revoked_at"] is None and s["expires_at"] > NOW]
    return path, accounts, live


@pytest.fixture
def client(
    tmp_path: Path, seeded: tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]
) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{seeded[0]}", var_dir=tmp_path)
    app = create_app(
        settings=settings,
        routers=[accounts.router, sessions.router],
        verifier=BadgeVerifier(PEOPLE),
    )
    with TestClient(app) as test_client:
        app.state.events = events  # the outbox without a relay: audit records stay here
        yield test_client


def test_the_tenants_accounts_page_newest_first_each_once(
    client: TestClient, seeded: tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    accounts = seeded[1]
    expected = newest_first(accounts)
    pages = every_page(client, "/api/users", "admin", 100)
    assert [len(page) for page in pages] == [100, 100, 61]
    assert [u["id"] for page in pages for u in page] == expected  # the other tenant's: none
    for limit in (7, 500):  # any page size gives the same list
        pages = every_page(client, "/api/users", "admin", limit)
        assert [u["id"] for page in pages for u in page] == expected
    assert every_page_until(client, 30) == expected[:30]  # one at a time
    # Restricted (Art. 18): still listed, as an id only.
    restricted = [u for page in pages for u in page if u["restricted"]]
    assert [(u["id"], u["email"]) for u in restricted] == [(accounts[7]["id"], "")]
    # Without a limit: the first 100, and the cursor of the rest; it holds no email.
    whole = client.get("/api/users", headers=badge("admin"))
    assert len(whole.json()) == 100 and whole.headers[NEXT]
    assert "@" not in whole.headers[NEXT] and "demo.test" not in whole.headers[NEXT]


def every_page_until(client: TestClient, count: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    while len(seen) < count:
        params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        response = client.get("/api/users", params=params, headers=badge("admin"))
        seen += [u["id"] for u in response.json()]
        cursor = response.headers[NEXT]
    return seen


def test_a_persons_open_sessions_page_latest_first_each_once(
    client: TestClient, seeded: tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    live = seeded[2]
    assert len(live) == 131
    pages = every_page(client, "/api/auth/sessions", "person", 50)
    assert [len(page) for page in pages] == [50, 50, 31]
    assert [s["id"] for page in pages for s in page] == ordered(
        live, "created_at", newest_first=True
    )
    assert [s["id"] for page in pages for s in page if s["current"]] == []  # s-0 is no row


USERS, SESSIONS = ("/api/users", "admin"), ("/api/auth/sessions", "person")


@pytest.mark.parametrize(
    ("route", "params"),
    [
        (route, params)
        for route in (USERS, SESSIONS)
        for params in (
            {"cursor": "not-a-cursor"},
            {"cursor": encode_cursor("users", ["yesterday", "x"])},  # not a date
            {"cursor": encode_cursor("users", [NOW])},  # a value missing
            {"cursor": "x" * 401},
            {"cursor": "a@b"},
            {"limit": "0"},
            {"limit": "501"},
        )
    ]
    + [  # the other list's cursor
        (USERS, {"cursor": encode_cursor("sessions", [NOW, "x"])}),
        (SESSIONS, {"cursor": encode_cursor("users", [NOW, "x"])}),
    ],
)
def test_a_bad_cursor_or_limit_is_a_422(
    client: TestClient, route: tuple[str, str], params: dict[str, str]
) -> None:
    path, who = route
    response = client.get(path, params=params, headers=badge(who))
    assert response.status_code == 422, response.text
    assert "yesterday" not in response.text  # says nothing of what it held
