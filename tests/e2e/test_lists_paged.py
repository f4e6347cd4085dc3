"""The lists of identity, orders, subsidies and support page through the gateway (issue 14,
lists never cut silently): the same JSON list as before, ``limit`` and ``cursor`` in,
``X-Next-Cursor`` out while more follow, each item once; a bad limit or cursor is a 422. (The
cases past 500: each service's ``tests/test_<service>_lists.py``; privacy's lists:
``test_privacy_lists.py``.)"""

import secrets
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_orders import offer
from tests.e2e.test_privacy import new_employee
from tests.e2e.test_privacy_lists import NEXT, every_page

pytestmark = pytest.mark.e2e


def ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [item["id"] for page in pages for item in page]


def test_the_admins_accounts_page_newest_first_with_no_email_in_the_cursor(
    platform: Platform,
) -> None:
    admin = platform.login("admin@demo.test")
    made = [new_employee(platform)[2] for _ in range(3)]
    first = admin.get("/api/users", params={"limit": 1})
    assert first.status_code == 200, first.text
    cursor = first.headers[NEXT]  # exposed through the gateway
    assert "@" not in cursor and "demo" not in cursor
    pages = every_page(admin, "/api/users", limit=2)
    everyone = ids(pages)
    assert everyone[:3] == list(reversed(made))  # the newest accounts first
    assert len(everyone) == len(set(everyone)) >= 8  # the demo accounts too, each once
    emails = {u["email"] for page in pages for u in page}
    assert {"alice@demo.test", "bob@demo.test", "admin@demo.test"} <= emails
    assert not any(u["email"].endswith("@other.test") for page in pages for u in page)


def test_a_persons_orders_and_sessions_page_each_once(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    person = platform.login(email)
    platform.login(email).close()  # a second session
    ticket = offer(person, "ticket")
    placed = []
    for _ in range(3):
        answer = person.post(
            "/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 1}]}
        )
        assert answer.status_code == 201, answer.text
        placed.append(answer.json()["id"])
    pages = every_page(person, "/api/orders", limit=1)
    assert [[o["id"] for o in page] for page in pages] == [[i] for i in reversed(placed)]
    sessions = every_page(person, "/api/auth/sessions", limit=1)
    assert len(sessions) == 2 and len(set(ids(sessions))) == 2
    assert [s["current"] for page in sessions for s in page].count(True) == 1
    # Without a limit: one page, no cursor when nothing follows.
    whole = person.get("/api/orders")
    assert [o["id"] for o in whole.json()] == list(reversed(placed)) and NEXT not in whole.headers


def test_offers_activities_and_rules_page_to_the_last(platform: Platform) -> None:
    admin, alice = platform.login("admin@demo.test"), platform.login("alice@demo.test")
    for path, who in (
        ("/api/offers", alice),
        ("/api/subsidies/activities", alice),
        ("/api/subsidies/rules", admin),
        ("/api/subsidies/eligibility", alice),
    ):
        whole = who.get(path, params={"limit": 500})
        assert whole.status_code == 200 and NEXT not in whole.headers, (path, whole.text)
        pages = every_page(who, path, limit=1)
        key = "rule_id" if path.endswith("eligibility") else "id"
        seen = [item[key] for page in pages for item in page]
        assert seen == [item[key] for item in whole.json()], path  # the same list, each once
    assert len(every_page(alice, "/api/offers", limit=1)) >= 3


def test_a_ticket_and_its_conversation_page_through_the_gateway(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    person, agent = platform.login(email), platform.login("agent@demo.test")
    opened = person.post(
        "/api/tickets", json={"subject": f"Paged {secrets.token_hex(3)}", "message": "First."}
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert ticket["messages_next_cursor"] is None  # the whole conversation is there
    url = f"/api/tickets/{ticket['id']}"
    for n in range(4):
        said = person.post(f"{url}/messages", json={"body": f"Message {n}."})
        assert said.status_code == 201, said.text
    for who in (person, agent):
        pages = every_page(who, f"{url}/messages", limit=2)
        assert [[m["body"] for m in page] for page in pages] == [
            ["First.", "Message 0."],
            ["Message 1.", "Message 2."],
            ["Message 3."],
        ]
    bob = platform.login("bob@demo.test")
    assert bob.get(f"{url}/messages").status_code == 404
    # The agent's queue, the latest activity first: this ticket on top, then every other once.
    queue = every_page(agent, "/api/tickets", limit=50)
    assert ids(queue)[0] == ticket["id"] and len(ids(queue)) == len(set(ids(queue)))
    mine = every_page(person, "/api/tickets", limit=1)
    assert ids(mine) == [ticket["id"]]


def test_partner_requests_page_for_agents_and_the_dpo(platform: Platform) -> None:
    agent, dpo = platform.login("agent@demo.test"), platform.login("dpo@demo.test")
    anonymous = platform.client()
    companies = [f"Paged {secrets.token_hex(4)}" for _ in range(2)]
    for company in companies:
        applied = anonymous.post(
            "/api/partners/apply",
            json={
                "tenant": "demo",
                "company": company,
                "contact_name": "Pam Paged",
                "contact_email": "pam@paged.example",
                "message": "Please list us.",
            },
        )
        assert applied.status_code == 202, applied.text
    for who in (agent, dpo):
        pages = every_page(who, "/api/partners/requests", limit=1)
        assert len(pages) >= 2 and all(len(page) == 1 for page in pages)  # one at a time
        seen = [r["company"] for page in pages for r in page]
        assert seen[:2] == list(reversed(companies)) and len(ids(pages)) == len(set(ids(pages)))


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"limit": "0"}, None),
        ({"limit": "501"}, None),
        ({"cursor": "not a cursor!"}, None),
        ({"cursor": "x" * 401}, None),
        ({"cursor": "Zm9v"}, "invalid cursor"),  # base64 of "foo"
    ],
)
def test_a_bad_limit_or_cursor_is_a_422(
    platform: Platform, params: dict[str, str], said: str | None
) -> None:
    admin, agent = platform.login("admin@demo.test"), platform.login("agent@demo.test")
    alice = platform.login("alice@demo.test")
    calls: list[tuple[httpx.Client, str]] = [
        (admin, "/api/users"),
        (alice, "/api/auth/sessions"),
        (alice, "/api/offers"),
        (admin, "/api/orders"),
        (admin, "/api/subsidies/rules"),
        (alice, "/api/subsidies/eligibility"),
        (alice, "/api/subsidies/activities"),
        (alice, "/api/subsidies/mandates"),
        (alice, "/api/subsidies/bookings"),
        (agent, "/api/tickets"),
        (agent, "/api/partners/requests"),
    ]
    for client, path in calls:
        response = client.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        if said:
            assert said in response.json()["detail"]


def test_one_lists_cursor_is_refused_by_another(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    users = admin.get("/api/users", params={"limit": 1})
    refused = admin.get("/api/orders", params={"cursor": users.headers[NEXT]})
    assert refused.status_code == 422 and "invalid cursor" in refused.json()["detail"]
