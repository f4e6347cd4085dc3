"""Lists never cut silently (issue 14): the tickets, a ticket's conversation and the partner
requests page by keyset through the routes, in the order the database gives, each row once,
with ``X-Next-Cursor`` while more follow; a cursor that is not the list's own is a 422.

Before, ``GET /api/tickets`` and ``GET /api/partners/requests`` answered the newest 500 and
stopped there without a word (an agent's 500 were then thinned by the restricted people's
tickets, in Python); a ticket came with its whole conversation, however long.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert

from kit.pagination import encode_cursor
from kit.testing import badge, every_page, ordered
from services.support.tests import factories
from services.support.tests.conftest import Serve
from support.models import Base, PartnerRequest, Ticket, TicketMessage, subject_data

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TENANT, OTHER = "t-demo", "t-other"
NEXT = "X-Next-Cursor"


def ticket_row(tenant: str, requester: str, n: int) -> dict[str, Any]:
    # Two at a time: the id decides.
    updated = NOW - timedelta(minutes=n // 2)
    return factories.make_ticket_row(tenant, requester, updated_at=updated, subject=f"Question {n}")


def message_row(ticket: dict[str, Any], n: int) -> dict[str, Any]:
    written = NOW - timedelta(days=1) + timedelta(seconds=n // 3)
    agent = None if n % 2 == 0 else "u-agent"
    return factories.make_message_row(
        ticket, created_at=written, by_agent=agent, body=f"Message {n}"
    )


def partner_row(slug: str, n: int) -> dict[str, Any]:
    received = NOW - timedelta(hours=n // 2)
    return factories.make_partner_row(
        slug,
        received_at=received,
        company=f"Company {n}",
        contact_email=f"max{n}@company.example",
    )


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, dict[str, list[dict[str, Any]]]]:
    """580 tickets of tenant demo: Alice's every fourth, 42 of Rita (restricted, Art. 18), 3
    of the agent (restricted too, but their own); 10 of another tenant. Alice's first ticket
    has a conversation of 230 messages. 520 partner requests to demo, 5 to another tenant."""
    path = tmp_path / "support.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)

    def requester(n: int) -> str:
        if n % 4 == 0:
            return "u-alice"
        if n % 14 == 1:
            return "u-rita"
        return "u-agent" if n in (3, 303, 503) else f"u-{n}"

    made = [ticket_row(TENANT, requester(n), n) for n in range(580)]
    made += [ticket_row(OTHER, "u-carol", n) for n in range(10)]
    conversation = [message_row(made[0], n) for n in range(230)]
    requests = [partner_row("demo", n) for n in range(520)]
    requests += [partner_row("other", n) for n in range(5)]
    with engine.begin() as conn:
        conn.execute(insert(Ticket), made)
        conn.execute(insert(TicketMessage), conversation)
        conn.execute(insert(PartnerRequest), requests)
        conn.execute(
            insert(subject_data.restrictions),
            [{"subject": s, "request_id": "r-1", "since": NOW} for s in ("u-rita", "u-agent")],
        )
    engine.dispose()
    return path, {"tickets": made, "messages": conversation, "requests": requests}


@pytest.fixture
def client(
    serve: Serve, seeded: tuple[Path, dict[str, list[dict[str, Any]]]]
) -> Iterator[TestClient]:
    with serve(seeded[0]) as test_client:
        yield test_client


def ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [item["id"] for page in pages for item in page]


def test_an_agent_pages_every_ticket_they_may_see_in_whole_pages(
    client: TestClient, seeded: tuple[Path, dict[str, list[dict[str, Any]]]]
) -> None:
    made = seeded[1]["tickets"]
    seen = [t for t in made if t["tenant_id"] == TENANT and t["requester_id"] != "u-rita"]
    expected = ordered(seen, "updated_at", newest_first=True)
    assert len(expected) == 538
    pages = every_page(client, "/api/tickets", "agent", 100)
    assert [len(page) for page in pages] == [100, 100, 100, 100, 100, 38]
    assert ids(pages) == expected  # past the old 500; their own restricted ones included
    assert ids(every_page(client, "/api/tickets", "agent", 500)) == expected


def test_a_person_pages_their_own_tickets_one_at_a_time(
    client: TestClient, seeded: tuple[Path, dict[str, list[dict[str, Any]]]]
) -> None:
    alices = [t for t in seeded[1]["tickets"] if t["requester_id"] == "u-alice"]
    assert len(alices) == 145
    pages = every_page(client, "/api/tickets", "alice", 1)
    assert ids(pages) == ordered(alices, "updated_at", newest_first=True)


def test_a_long_conversation_comes_whole_page_after_page(
    client: TestClient, seeded: tuple[Path, dict[str, list[dict[str, Any]]]]
) -> None:
    ticket_id = seeded[1]["tickets"][0]["id"]
    expected = ordered(seeded[1]["messages"], "created_at", newest_first=False)
    detail = client.get(f"/api/tickets/{ticket_id}", headers=badge("alice"))
    assert detail.status_code == 200, detail.text
    first = detail.json()
    assert [m["id"] for m in first["messages"]] == expected[:100]
    rest = every_page(
        client,
        f"/api/tickets/{ticket_id}/messages",
        "alice",
        60,
        cursor=first["messages_next_cursor"],
    )
    assert [len(page) for page in rest] == [60, 60, 10]
    assert [m["id"] for m in first["messages"]] + ids(rest) == expected
    pages = every_page(client, f"/api/tickets/{ticket_id}/messages", "agent", 100)
    assert ids(pages) == expected
    assert {m["author_id"] for page in pages for m in page} == {"u-alice", "u-agent"}
    # An employee sees their own id only; someone else's ticket is a 404.
    assert {m["author_id"] for page in rest for m in page} == {"u-alice", None}
    other = client.get(f"/api/tickets/{ticket_id}/messages", headers=badge("bob"))
    assert other.status_code == 404
    # A short conversation: no cursor at all.
    short = seeded[1]["tickets"][4]["id"]
    assert (
        client.get(f"/api/tickets/{short}", headers=badge("alice")).json()["messages_next_cursor"]
        is None
    )


def test_partner_requests_page_to_the_last_past_the_old_500(
    client: TestClient, seeded: tuple[Path, dict[str, list[dict[str, Any]]]]
) -> None:
    demo = [r for r in seeded[1]["requests"] if r["tenant_slug"] == "demo"]
    expected = ordered(demo, "received_at", newest_first=True)
    for who in ("agent", "dpo"):
        pages = every_page(client, "/api/partners/requests", who, 500)
        assert [len(page) for page in pages] == [500, 20]
        assert ids(pages) == expected


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/tickets", "agent"),
        ("/api/tickets", "alice"),
        ("/api/partners/requests", "dpo"),
        ("messages", "alice"),
    ],
)
@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": encode_cursor("orders", [NOW, "x"])},  # another list's
        {"cursor": encode_cursor("tickets", ["yesterday", "x"])},  # not a date
        {"cursor": encode_cursor("messages", [NOW])},  # a value missing
        {"cursor": "x" * 401},
        {"cursor": "a b"},
        {"limit": "0"},
        {"limit": "501"},
    ],
)
def test_a_bad_cursor_or_limit_is_a_422(
    client: TestClient,
    seeded: tuple[Path, dict[str, list[dict[str, Any]]]],
    path: str,
    who: str,
    params: dict[str, str],
) -> None:
    if path == "messages":
        path = f"/api/tickets/{seeded[1]['tickets'][0]['id']}/messages"
    response = client.get(path, params=params, headers=badge(who))
    assert response.status_code == 422, response.text
    assert "yesterday" not in response.text  # says nothing of what it held


def test_the_tickets_cursor_is_no_cursor_of_the_conversation(
    client: TestClient, seeded: tuple[Path, dict[str, list[dict[str, Any]]]]
) -> None:
    listed = client.get("/api/tickets", params={"limit": 1}, headers=badge("alice"))
    ticket_id = seeded[1]["tickets"][0]["id"]
    refused = client.get(
        f"/api/tickets/{ticket_id}/messages",
        params={"cursor": listed.headers[NEXT]},
        headers=badge("alice"),
    )
    assert refused.status_code == 422 and "invalid cursor" in refused.json()["detail"]
