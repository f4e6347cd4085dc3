"""The ticket routes in process, on SQLite: statuses for bad input and for the wrong people."""

import pytest
from fastapi.testclient import TestClient

from services.support.tests import factories

as_ = factories.as_


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
