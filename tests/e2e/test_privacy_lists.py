"""Privacy's lists page through the gateway (issue 14, lists never cut silently): the same JSON
list as before, ``limit`` and ``cursor`` in, ``X-Next-Cursor`` out while more follow; the DPO's
queue shows the longest overdue request first. (The 500+ case: services/privacy/tests/
test_lists.py, on SQLite and PostgreSQL.)"""

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_privacy import new_employee

pytestmark = pytest.mark.e2e

NEXT = "X-Next-Cursor"


def every_page(client: httpx.Client, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Each page of a list route, following its cursor to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        response = client.get(path, params=params | ({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        assert isinstance(body, list)  # the body is the list, as before
        pages.append(body)
        cursor = response.headers.get(NEXT)
        if cursor is None:
            return pages
        assert len(body) == params.get("limit", 100)  # only the last page is short
        assert len(pages) < 1000, "the cursor does not move"


async def _execute(url: str, statement: str, *args: object) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(statement, *args)
    finally:
        await conn.close()


def privacy_sql(platform: Platform, statement: str, *args: object) -> None:
    asyncio.run(_execute(platform.stack.config.database_urls["privacy"], statement, *args))


def test_a_persons_requests_page_to_the_last_each_once(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    person = platform.login(email)
    filed = []
    for _ in range(3):
        response = person.post("/api/privacy/requests", json={"type": "objection"})
        assert response.status_code == 202, response.text
        filed.append(response.json()["id"])
    pages = every_page(person, "/api/privacy/requests", limit=1)
    assert [[r["id"] for r in page] for page in pages] == [[i] for i in reversed(filed)]
    # Without a limit: one page of at most 100, no cursor when nothing follows.
    whole = person.get("/api/privacy/requests")
    assert [r["id"] for r in whole.json()] == list(reversed(filed)) and NEXT not in whole.headers


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"limit": "0"}, None),
        ({"limit": "501"}, None),
        ({"limit": "many"}, None),
        ({"cursor": "not a cursor!"}, None),
        ({"cursor": "x" * 401}, None),
        ({"cursor": "Zm9v"}, "invalid cursor"),  # base64 of "foo"
    ],
)
def test_a_bad_limit_or_cursor_is_a_422(
    platform: Platform, params: dict[str, str], said: str | None
) -> None:
    bob = platform.login("bob@demo.test")
    for path in (
        "/api/privacy/requests",
        "/api/privacy/access-log",
        "/api/privacy/consents/history",
    ):
        response = bob.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        if said:
            assert said in response.json()["detail"]


def test_the_dpos_queue_starts_with_the_longest_overdue_and_pages_to_the_last(
    platform: Platform,
) -> None:
    dpo, bob = platform.login("dpo@demo.test"), platform.login("bob@demo.test")
    email, _last, _id = new_employee(platform)
    # Received by post and waiting for the person's code: open until the DPO acts.
    filed = dpo.post(
        "/api/privacy/requests/on-behalf",
        json={"type": "access", "email": email, "channel": "post"},
    )
    assert filed.status_code == 202, filed.text
    request_id = filed.json()["id"]
    # Received long ago: its deadline is long past, earlier than any other request's.
    privacy_sql(
        platform,
        "UPDATE requests SET received_at = '2001-01-01T00:00:00Z',"
        " due_at = '2001-02-01T00:00:00Z' WHERE id = $1",
        request_id,
    )
    try:
        first = dpo.get("/api/privacy/requests", params={"scope": "tenant", "limit": 1})
        assert first.status_code == 200, first.text
        [top] = first.json()
        assert (top["id"], top["overdue"]) == (request_id, True)
        assert first.headers.get(NEXT)
        # A person's cursor is no cursor of the queue.
        mine = bob.get("/api/privacy/requests", params={"limit": 1})
        if mine.headers.get(NEXT):
            refused = dpo.get(
                "/api/privacy/requests",
                params={"scope": "tenant", "cursor": mine.headers[NEXT]},
            )
            assert refused.status_code == 422
        pages = every_page(dpo, "/api/privacy/requests", scope="tenant", limit=37)
        queue = [r for page in pages for r in page]
        ids = [r["id"] for r in queue]
        assert ids[0] == request_id and len(ids) == len(set(ids))
        final = {"completed", "failed", "rejected", "cancelled"}
        opened = [r for r in queue if r["status"] not in final]
        assert queue[: len(opened)] == opened  # every open request before the answered ones
        dues = [r["due_at"] for r in opened]
        assert dues == sorted(dues)  # by deadline: the overdue ones first
    finally:
        cancelled = dpo.post(f"/api/privacy/requests/{request_id}/cancel")
        assert cancelled.status_code == 200, cancelled.text


def test_the_dpos_other_lists_page(platform: Platform) -> None:
    dpo = platform.login("dpo@demo.test")
    pages = every_page(dpo, "/api/privacy/processors", limit=1)
    assert len(pages) >= 3 and all(len(page) == 1 for page in pages)
    names = [page[0]["name"] for page in pages]
    # The default processors, in French (no Accept-Language: the default).
    assert {"Hébergeur", "Relais de courriel", "Prestataire de paiement"} <= set(names)
    assert len({page[0]["id"] for page in pages}) == len(pages)
    breaches = dpo.get("/api/privacy/breaches", params={"limit": 1})
    assert breaches.status_code == 200 and len(breaches.json()) <= 1
    assert dpo.get("/api/privacy/breaches", params={"limit": 0}).status_code == 422
