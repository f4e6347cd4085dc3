"""Support through the gateway: tickets and their isolation, bad input, the public partner form
and its review, a person's conversations in their export and gone after erasure, and the
form's rate limit (last: every test shares the address 127.0.0.1 and its budget)."""

import asyncio
import io
import json
import secrets
import time
import zipfile
from typing import Any

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_privacy import _rows_mentioning, new_employee, wait_done

pytestmark = pytest.mark.e2e


def open_ticket(client: httpx.Client, subject: str, message: str = "It does not work") -> Any:
    created = client.post("/api/tickets", json={"subject": subject, "message": message})
    assert created.status_code == 201, created.text
    return created.json()


def my_id(client: httpx.Client) -> str:
    return str(client.get("/api/auth/me").json()["id"])


def test_an_employee_opens_a_ticket_and_the_agent_handles_it(platform: Platform) -> None:
    alice, agent = platform.login("alice@demo.test"), platform.login("agent@demo.test")
    ticket = open_ticket(alice, "Cannot see my vouchers", "The page stays empty.")
    assert (ticket["status"], ticket["level"], ticket["closed_at"]) == ("open", "N1", None)
    assert ticket["requester_id"] == my_id(alice)
    assert [m["body"] for m in ticket["messages"]] == ["The page stays empty."]
    assert ticket["id"] in {t["id"] for t in alice.get("/api/tickets").json()}
    assert ticket["id"] in {t["id"] for t in agent.get("/api/tickets").json()}
    url = f"/api/tickets/{ticket['id']}"
    answer = agent.post(f"{url}/messages", json={"body": "Looking into it."})
    assert answer.status_code == 201 and answer.json()["author_role"] == "agent"
    for level in ("N2", "N3"):
        escalated = agent.patch(url, json={"level": level})
        assert escalated.status_code == 200, escalated.text
        assert escalated.json()["level"] == level
    assert agent.patch(url, json={"level": "N1"}).status_code == 409  # never back down
    agent_id = my_id(agent)
    assigned = agent.patch(url, json={"assignee_id": agent_id, "status": "pending"})
    assert assigned.status_code == 200
    assert (assigned.json()["assignee_id"], assigned.json()["status"]) == (agent_id, "pending")
    seen = alice.get(url).json()
    assert (seen["level"], seen["status"]) == ("N3", "pending")
    assert seen["assignee_id"] is None  # the employee is not shown which agent
    assert [(m["author_role"], m["body"]) for m in seen["messages"]] == [
        ("requester", "The page stays empty."),
        ("agent", "Looking into it."),
    ]
    # The requester's answer puts the ticket back in the agents' queue.
    assert alice.post(f"{url}/messages", json={"body": "Still empty."}).status_code == 201
    assert alice.get(url).json()["status"] == "open"
    assert ticket["id"] in {t["id"] for t in agent.get("/api/tickets?status=open").json()}


def test_tickets_are_isolated_by_requester_and_tenant(platform: Platform) -> None:
    alice, bob = platform.login("alice@demo.test"), platform.login("bob@demo.test")
    carol = platform.login("carol@other.test", tenant="other")
    agent = platform.login("agent@demo.test")
    ticket = open_ticket(alice, "Payslip question")
    url = f"/api/tickets/{ticket['id']}"
    for intruder in (bob, carol):
        assert intruder.get(url).status_code == 404
        assert intruder.post(f"{url}/messages", json={"body": "Hello"}).status_code == 404
        assert ticket["id"] not in {t["id"] for t in intruder.get("/api/tickets").json()}
    assert agent.get(url).status_code == 200
    assert agent.get("/api/tickets/00000000-0000-4000-8000-000000000000").status_code == 404
    for employee in (alice, bob, carol):  # only agents change a ticket
        assert employee.patch(url, json={"level": "N2"}).status_code == 403
    assert [m["body"] for m in alice.get(url).json()["messages"]] == ["It does not work"]
    assert alice.get(url).json()["level"] == "N1"
    assert platform.client().get("/api/tickets").status_code == 401  # no session


def test_bad_ticket_input_is_refused(platform: Platform) -> None:
    bob, agent = platform.login("bob@demo.test"), platform.login("agent@demo.test")
    before = len(bob.get("/api/tickets").json())
    for body in (
        {"subject": "Too long", "message": "x" * 5001},
        {"subject": "", "message": "Empty subject"},
        {"subject": "Unknown field", "message": "Hi", "priority": "urgent"},
    ):
        assert bob.post("/api/tickets", json=body).status_code == 422, body
    assert len(bob.get("/api/tickets").json()) == before
    ticket = open_ticket(bob, "Longest message", "x" * 5000)  # the limit itself is fine
    url = f"/api/tickets/{ticket['id']}"
    assert bob.post(f"{url}/messages", json={"body": "y" * 5001}).status_code == 422
    assert bob.post(f"{url}/messages", json={"text": "Hi"}).status_code == 422
    assert agent.patch(url, json={"status": "archived"}).status_code == 422
    closed = agent.patch(url, json={"status": "closed"})
    assert closed.status_code == 200 and closed.json()["closed_at"] is not None
    assert bob.post(f"{url}/messages", json={"body": "One more thing"}).status_code == 409
    assert agent.post(f"{url}/messages", json={"body": "Reopening"}).status_code == 409
    assert agent.patch(url, json={"status": "open"}).status_code == 409
    assert len(bob.get(url).json()["messages"]) == 1


def application(tenant: str, company: str) -> dict[str, str]:
    return {
        "tenant": tenant,
        "company": company,
        "contact_name": "Paula Partner",
        "contact_email": f"paula-{secrets.token_hex(3)}@partner.example",
        "message": "We run a cinema and would like to offer reduced prices.",
    }


def test_the_public_partner_form_needs_no_session(
    platform: Platform, anonymous: httpx.Client
) -> None:
    company = f"Cinema {secrets.token_hex(4)}"
    body = application("demo", company)
    received = anonymous.post("/api/partners/apply", json=body)
    assert received.status_code == 202, received.text
    assert received.json() == {"status": "received"}  # nothing of what was sent comes back
    unknown = anonymous.post("/api/partners/apply", json=application("no-such-tenant", company))
    assert unknown.status_code == 404 and company not in unknown.text
    assert anonymous.get("/api/partners/requests").status_code == 401
    listed = platform.login("agent@demo.test").get("/api/partners/requests").json()
    assert [r["contact_email"] for r in listed if r["company"] == company] == [
        body["contact_email"]
    ]


async def _partner_rows(url: str, company: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT tenant_slug, status FROM partner_requests WHERE company = $1", company
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


def test_agents_review_the_partner_requests_of_their_tenant_only(
    platform: Platform, anonymous: httpx.Client
) -> None:
    ours, theirs = f"Theatre {secrets.token_hex(4)}", f"Museum {secrets.token_hex(4)}"
    for tenant, company in (("demo", ours), ("other", theirs)):
        sent = anonymous.post("/api/partners/apply", json=application(tenant, company))
        assert sent.status_code == 202, sent.text
    support_db = platform.stack.config.database_urls["support"]
    assert asyncio.run(_partner_rows(support_db, theirs)) == [
        {"tenant_slug": "other", "status": "received"}
    ]
    agent = platform.login("agent@demo.test")
    listed = {r["company"]: r for r in agent.get("/api/partners/requests").json()}
    assert ours in listed and theirs not in listed
    assert platform.login("bob@demo.test").get("/api/partners/requests").status_code == 403
    url = f"/api/partners/requests/{listed[ours]['id']}"
    reviewed = agent.patch(url, json={"status": "accepted", "note": "Good offer"})
    assert reviewed.status_code == 200, reviewed.text
    assert (reviewed.json()["status"], reviewed.json()["note"]) == ("accepted", "Good offer")
    assert reviewed.json()["last_contact_at"] > listed[ours]["last_contact_at"]
    assert agent.patch(url, json={"status": "maybe"}).status_code == 422
    their_id = asyncio.run(_partner_id(support_db, theirs))
    assert (
        agent.patch(f"/api/partners/requests/{their_id}", json={"status": "rejected"}).status_code
        == 404
    )
    assert asyncio.run(_partner_rows(support_db, theirs))[0]["status"] == "received"


async def _partner_id(url: str, company: str) -> str:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return str(
            await conn.fetchval("SELECT id FROM partner_requests WHERE company = $1", company)
        )
    finally:
        await conn.close()


def test_a_persons_conversations_are_exported_then_erased(platform: Platform) -> None:
    email, last_name, user_id = new_employee(platform)
    person, agent = platform.login(email), platform.login("agent@demo.test")
    subject = f"Badge {secrets.token_hex(4)} lost"
    reply = f"New badge {secrets.token_hex(4)} is ready"
    ticket = open_ticket(person, subject, f"I am {last_name} and I lost my badge")
    url = f"/api/tickets/{ticket['id']}"
    assert agent.post(f"{url}/messages", json={"body": reply}).status_code == 201
    export = person.post("/api/privacy/requests", json={"type": "access"}).json()
    assert wait_done(person, export["id"])["status"] == "completed"
    archive = person.get(f"/api/privacy/requests/{export['id']}/archive").content
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        exported = json.loads(z.read("support.json"))
    assert [(t["id"], t["subject"], t["level"]) for t in exported["tickets"]] == [
        (ticket["id"], subject, "N1")
    ]
    messages = exported["ticket_messages"]
    assert {(m["author_role"], m["body"]) for m in messages} == {
        ("requester", f"I am {last_name} and I lost my badge"),
        ("agent", reply),  # the agents' answers belong to the person's conversation
    }
    assert {m["ticket_id"] for m in messages} == {ticket["id"]}
    request_id = person.post("/api/privacy/requests", json={"type": "erasure"}).json()["id"]
    done = wait_done(platform.login("dpo@demo.test"), request_id)
    assert done["status"] == "completed"
    erased = {t["table"]: t for t in done["report"]["support"]["erase"]["tables"]}
    assert erased["tickets"]["erased_rows"] == 1 and erased["ticket_messages"]["erased_rows"] == 2
    support_db = platform.stack.config.database_urls["support"]
    values = [user_id, subject, reply, last_name]
    deadline = time.monotonic() + 10  # sent events lose their body just after RabbitMQ has them
    while found := asyncio.run(_rows_mentioning(support_db, values)):
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
    assert agent.get(url).status_code == 404
    assert ticket["id"] not in {t["id"] for t in agent.get("/api/tickets").json()}


def test_the_public_form_is_rate_limited(anonymous: httpx.Client) -> None:
    """Last of the file: the burst (5) and the rate (6 a minute) are per address. An unknown
    tenant is answered 404 and stores nothing, but counts all the same."""
    statuses = [
        anonymous.post(
            "/api/partners/apply", json=application("no-such-tenant", "Spam")
        ).status_code
        for _ in range(12)
    ]
    assert set(statuses) <= {404, 429}, statuses
    assert statuses[-1] == 429 and statuses.count(429) >= 12 - 7, statuses
