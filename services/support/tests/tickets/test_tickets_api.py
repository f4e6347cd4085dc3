"""The routes in process, on SQLite: statuses for bad input and for the wrong people, and the
public partner form (identity's tenant lookup answered by a stand-in)."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from kit.auth import INTERNAL_TOKEN_HEADER, Principal, Role, TokenVerifier
from kit.errors import Unauthenticated
from kit.web import create_app
from support.api import partners, tickets
from support.config import Settings
from support.models import Base, events


def _person(user_id: str, tenant: str, *roles: Role) -> Principal:
    return Principal(user_id, f"t-{tenant}", tenant, frozenset(r.value for r in roles), "s")


PEOPLE = {
    "alice": _person("u-alice", "demo", Role.EMPLOYEE),
    "bob": _person("u-bob", "demo", Role.EMPLOYEE),
    "agent": _person("u-agent", "demo", Role.SUPPORT_AGENT),
    "dpo": _person("u-dpo", "demo", Role.DPO),
    "carol": _person("u-carol", "other", Role.EMPLOYEE, Role.SUPPORT_AGENT),
}


class Badges(TokenVerifier):
    """Stands in for the gateway's signed token: the token is the person's name."""

    def __init__(self) -> None:
        """No keys, no cache: nothing to set up."""

    async def verify(self, token: str) -> Principal:
        if token not in PEOPLE:
            raise Unauthenticated("invalid token")
        return PEOPLE[token]


def identity(request: httpx.Request) -> httpx.Response:
    """Identity's public tenant route, for the tenants ``demo`` and ``other``."""
    slug = request.url.path.rsplit("/", 1)[-1]
    if request.url.path.startswith("/api/auth/tenants/") and slug in ("demo", "other"):
        return httpx.Response(200, json={"slug": slug, "name": slug.title()})
    return httpx.Response(404, json={"detail": "tenant not found"})


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    path = tmp_path / "api.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", var_dir=tmp_path)
    app = create_app(
        settings=settings, routers=[tickets.router, partners.router], verifier=Badges()
    )
    with TestClient(app) as test_client:
        # The outbox without a relay: audit records and events stay in the test's database.
        app.state.events = events
        original = app.state.peers
        app.state.peers = httpx.AsyncClient(transport=httpx.MockTransport(identity))
        try:
            yield test_client
        finally:
            app.state.peers = original


def as_(who: str) -> dict[str, str]:
    return {INTERNAL_TOKEN_HEADER: who}


SECRET = "Sensitive-Detail-1234"


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "VPN", "message": "x" * 5001},
        {"subject": "x" * 201, "message": SECRET},
        {"subject": "VPN", "message": ""},
        {"subject": "   ", "message": SECRET},
        {"subject": "VPN", "message": SECRET, "priority": "urgent"},
        {"subject": "VPN"},
        {"subject": "VPN", "message": SECRET + "\x00"},
    ],
)
def test_bad_tickets_are_422_echo_nothing_and_store_nothing(
    client: TestClient, body: dict[str, str]
) -> None:
    response = client.post("/api/tickets", json=body, headers=as_("alice"))
    assert response.status_code == 422
    assert SECRET not in response.text
    assert client.get("/api/tickets", headers=as_("alice")).json() == []


def test_a_ticket_through_its_routes(client: TestClient) -> None:
    body = {"subject": "VPN", "message": "Line one\r\nLine two"}
    created = client.post("/api/tickets", json=body, headers=as_("alice"))
    assert created.status_code == 201
    ticket = created.json()
    assert (ticket["status"], ticket["level"]) == ("open", "N1")
    assert ticket["messages"][0]["body"] == "Line one\nLine two"  # line breaks are kept
    url = f"/api/tickets/{ticket['id']}"
    assert client.get(url, headers=as_("bob")).status_code == 404
    assert client.get(url, headers=as_("carol")).status_code == 404
    assert client.get("/api/tickets/unknown", headers=as_("agent")).status_code == 404
    assert client.get(url).status_code == 401  # no token: not through the gateway
    assert client.patch(url, json={"level": "N2"}, headers=as_("alice")).status_code == 403
    assert client.patch(url, json={"level": "N2"}, headers=as_("carol")).status_code == 404
    assert client.patch(url, json={"level": "N4"}, headers=as_("agent")).status_code == 422
    assert client.patch(url, json={}, headers=as_("agent")).status_code == 422
    assert client.patch(url, json={"status": None}, headers=as_("agent")).status_code == 422
    bad_assignee = {"assignee_id": "someone"}
    assert client.patch(url, json=bad_assignee, headers=as_("agent")).status_code == 422
    answer = client.post(f"{url}/messages", json={"body": "On it"}, headers=as_("agent"))
    assert answer.status_code == 201 and answer.json()["author_role"] == "agent"
    seen = client.get(url, headers=as_("alice")).json()
    # The employee sees that an agent answered, not which agent.
    assert [(m["author_role"], m["author_id"]) for m in seen["messages"]] == [
        ("requester", "u-alice"),
        ("agent", None),
    ]
    agents_view = client.get(url, headers=as_("agent")).json()
    assert agents_view["messages"][1]["author_id"] == "u-agent"
    too_long = client.post(f"{url}/messages", json={"body": "x" * 5001}, headers=as_("alice"))
    assert too_long.status_code == 422
    closed = client.patch(url, json={"status": "closed"}, headers=as_("agent"))
    assert closed.status_code == 200 and closed.json()["closed_at"] is not None
    refused = client.post(f"{url}/messages", json={"body": "Again"}, headers=as_("alice"))
    assert refused.status_code == 409
    assert [t["id"] for t in client.get("/api/tickets?status=closed", headers=as_("agent")).json()]
    assert client.get("/api/tickets?status=gone", headers=as_("agent")).status_code == 422


APPLY = {
    "tenant": "demo",
    "company": "Cinema Lumiere",
    "contact_name": "Paul Partner",
    "contact_email": "paul@cinema.example",
    "contact_phone": "+33 1 23 45 67 89",
    "message": "We would like to offer discounted tickets.",
}


def test_the_public_partner_form(client: TestClient) -> None:
    received = client.post("/api/partners/apply", json=APPLY)  # no token at all
    assert received.status_code == 202
    assert received.json() == {"status": "received"}
    unknown = client.post("/api/partners/apply", json=APPLY | {"tenant": "nowhere"})
    assert unknown.status_code == 404 and "Paul" not in unknown.text
    for bad in (
        APPLY | {"contact_email": "not-an-email"},
        APPLY | {"tenant": "../users"},
        APPLY | {"message": "x" * 5001},
        APPLY | {"website": "https://spam.example"},
    ):
        refused = client.post("/api/partners/apply", json=bad)
        assert refused.status_code == 422 and "Paul" not in refused.text
    listed = client.get("/api/partners/requests", headers=as_("agent")).json()
    assert [r["contact_name"] for r in listed] == ["Paul Partner"]  # one stored, not three
    assert client.get("/api/partners/requests", headers=as_("carol")).json() == []
    assert client.get("/api/partners/requests", headers=as_("bob")).status_code == 403
    assert client.get("/api/partners/requests").status_code == 401
    url = f"/api/partners/requests/{listed[0]['id']}"
    review = {"status": "contacted", "note": "Called back"}
    assert client.patch(url, json=review, headers=as_("carol")).status_code == 404
    assert client.patch(url, json=review, headers=as_("dpo")).status_code == 403
    assert client.patch(url, json={"status": "maybe"}, headers=as_("agent")).status_code == 422
    reviewed = client.patch(url, json=review, headers=as_("agent")).json()
    assert reviewed["status"] == "contacted" and reviewed["note"] == "Called back"
    assert reviewed["last_contact_at"] > listed[0]["last_contact_at"]
    # The contact person's own erasure request, through the DPO.
    assert client.delete(url, headers=as_("agent")).status_code == 403
    assert client.delete(url, headers=as_("dpo")).status_code == 204
    assert client.get("/api/partners/requests", headers=as_("dpo")).json() == []
