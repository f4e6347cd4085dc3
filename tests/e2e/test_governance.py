"""Privacy governance through the gateway: the audit trail of accesses by others (PR10)."""

import io
import json
import time
import zipfile
from typing import Any

import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_privacy import new_employee, wait_done

pytestmark = pytest.mark.e2e


def test_an_agents_read_of_a_ticket_appears_in_the_persons_access_log(platform: Platform) -> None:
    email, _last, user_id = new_employee(platform)
    person, agent = platform.login(email), platform.login("agent@demo.test")
    agent_id = agent.get("/api/auth/me").json()["id"]
    ticket = person.post("/api/tickets", json={"subject": "Audit me", "message": "Hello"}).json()
    person.get(f"/api/tickets/{ticket['id']}")  # one's own read is not recorded
    assert agent.get(f"/api/tickets/{ticket['id']}").status_code == 200
    deadline, log = time.monotonic() + 15, list[dict[str, Any]]()
    while not log and time.monotonic() < deadline:
        log = [e for e in person.get("/api/privacy/access-log").json() if e["service"] == "support"]
        time.sleep(0.2)
    assert log, "the agent's read never reached the access log"
    entry = log[0]
    assert entry["actor_id"] == agent_id and entry["actor_roles"] == ["support_agent"]
    assert (entry["action"], entry["what"]) == ("read", "support conversation")
    assert entry["route"] == "GET /api/tickets/{ticket_id}"
    assert all(e["actor_id"] != user_id for e in person.get("/api/privacy/access-log").json())
    # Nobody else sees it; the person's export holds it.
    others = platform.login("bob@demo.test").get("/api/privacy/access-log").json()
    assert entry["at"] not in {e["at"] for e in others}
    export = person.post("/api/privacy/requests", json={"type": "access"}).json()
    assert wait_done(person, export["id"])["status"] == "completed"
    archive = person.get(f"/api/privacy/requests/{export['id']}/archive").content
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        own = json.loads(z.read("privacy.json"))
    assert any(row["actor_id"] == agent_id for row in own["audit_entries"])
