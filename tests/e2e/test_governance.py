"""Privacy governance through the gateway: the audit trail of accesses by others (PR10),
consents and newsletters (PR6)."""

import base64
import io
import json
import re
import secrets
import time
import zipfile
from email import policy
from email.parser import BytesParser
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform, wait_quiet
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


def newsletter_mails(platform: Platform, to: str, subject: str) -> list[str]:
    """The texts of the sink's mails to ``to`` with that subject."""
    texts = []
    for path in sorted(
        (platform.var_dir / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns
    ):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == to and str(message["Subject"]) == subject:
            body = message.get_body(preferencelist=("plain",))
            texts.append(str(body.get_content()) if body else "")
    return texts


def send_newsletter(platform: Platform, subject: str) -> dict[str, Any]:
    sent = platform.login("admin@demo.test").post(
        "/api/privacy/newsletters", json={"subject": subject, "text": "Offers of the week."}
    )
    assert sent.status_code == 202, sent.text
    answer: dict[str, Any] = sent.json()
    return answer


def wait_for(check: Any, what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
    return found


def mail_marker(platform: Platform) -> None:
    """The positive event a test waits for before it says a mail was not sent: a newsletter
    to a new employee who consents, once it is in the sink. It travels the way every mail the
    privacy service asks for does (its outbox, the account service's worker and outbox, the
    mail consumer), after any mail asked for before it: when it has arrived, and nothing is
    in flight any more, an earlier mail that was going to be sent has been sent."""
    witness, _last, _id = new_employee(platform)
    consent = platform.login(witness).put(
        "/api/privacy/consents", json={"purpose": "newsletter", "granted": True}
    )
    assert consent.status_code == 200, consent.text
    subject = f"Marker {secrets.token_hex(3)}"
    send_newsletter(platform, subject)
    wait_for(lambda: newsletter_mails(platform, witness, subject), "the marker never arrived", 30)
    wait_quiet(platform)


def test_consent_decides_who_gets_the_newsletter_and_the_link_unsubscribes_once(
    platform: Platform, anonymous: httpx.Client
) -> None:
    (first, _l1, _i1), (second, _l2, _i2) = new_employee(platform), new_employee(platform)
    one, two = platform.login(first), platform.login(second)
    listed = {c["purpose"]: c for c in one.get("/api/privacy/consents").json()}
    assert listed["newsletter"]["granted"] is False and listed["newsletter"]["notice_version"]
    assert one.put("/api/privacy/consents", json={"purpose": "newsletter", "granted": True}).json()[
        "granted"
    ]
    two.put("/api/privacy/consents", json={"purpose": "newsletter", "granted": True})
    assert (
        one.put("/api/privacy/consents", json={"purpose": "lottery", "granted": True}).status_code
        == 422
    )
    assert (
        platform.login("bob@demo.test")
        .post("/api/privacy/newsletters", json={"subject": "x", "text": "y"})
        .status_code
        == 403
    )
    subject_one = f"News {secrets.token_hex(3)}"
    send_newsletter(platform, subject_one)
    mails = wait_for(lambda: newsletter_mails(platform, second, subject_one), "no newsletter")
    wait_for(lambda: newsletter_mails(platform, first, subject_one), "no newsletter for the first")
    # The second person withdraws (one action); the next newsletter skips them.
    assert (
        two.put(
            "/api/privacy/consents", json={"purpose": "newsletter", "granted": False}
        ).status_code
        == 200
    )
    subject_two = f"News {secrets.token_hex(3)}"
    send_newsletter(platform, subject_two)
    wait_for(lambda: newsletter_mails(platform, first, subject_two), "no second newsletter")
    mail_marker(platform)
    assert newsletter_mails(platform, second, subject_two) == []
    # The first person's link unsubscribes them, once, without logging in.
    link = re.search(r"#token=([A-Za-z0-9_-]+)", newsletter_mails(platform, first, subject_one)[0])
    assert link is not None
    assert anonymous.post("/api/privacy/unsubscribe", json={"token": link.group(1)}).json() == {
        "status": "unsubscribed"
    }
    assert (
        anonymous.post("/api/privacy/unsubscribe", json={"token": link.group(1)}).status_code == 400
    )
    mine = {c["purpose"]: c for c in one.get("/api/privacy/consents").json()}["newsletter"]
    assert mine["granted"] is False and mine["channel"] == "email-link"
    history = one.get("/api/privacy/consents/history").json()
    assert [(h["granted"], h["channel"]) for h in history] == [(True, "web"), (False, "email-link")]
    # The second person's own link did not touch the first person's consent either way.
    assert mails and "#token=" in mails[0]


def test_a_person_who_objected_gets_no_newsletter_even_with_a_consent(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    person = platform.login(email)
    person.put("/api/privacy/consents", json={"purpose": "newsletter", "granted": True})
    objection = person.post("/api/privacy/requests", json={"type": "objection"}).json()
    assert wait_done(person, objection["id"])["status"] == "completed"
    witness, _l, _i = new_employee(platform)
    platform.login(witness).put(
        "/api/privacy/consents", json={"purpose": "newsletter", "granted": True}
    )
    subject = f"News {secrets.token_hex(3)}"
    send_newsletter(platform, subject)
    wait_for(lambda: newsletter_mails(platform, witness, subject), "no newsletter at all")
    mail_marker(platform)
    assert newsletter_mails(platform, email, subject) == []  # Art. 21(3): absolute


def test_a_request_received_by_email_runs_only_after_the_one_time_code(platform: Platform) -> None:
    email, _last, _id = new_employee(platform)
    dpo = platform.login("dpo@demo.test")
    body = {
        "type": "access",
        "email": email,
        "channel": "email",
        "identity_document": base64.b64encode(b"scan of an identity card").decode(),
    }
    assert (
        platform.login("bob@demo.test")
        .post("/api/privacy/requests/on-behalf", json=body)
        .status_code
        == 403
    )
    filed = dpo.post("/api/privacy/requests/on-behalf", json=body)
    assert filed.status_code == 202, filed.text
    request_id = filed.json()["id"]
    assert filed.json()["status"] == "awaiting_code"

    def code_mail() -> list[str]:
        return re.findall(r"\b(\d{8})\b", "\n".join(newsletter_mails_any(platform, email)))

    code = wait_for(code_mail, "no code mailed to the account")[0]
    # A request the person files afterwards runs and completes: had the first one run
    # without its code, its commands, sent before, would have been carried out by then.
    later = platform.login(email).post("/api/privacy/requests", json={"type": "portability"})
    assert later.status_code == 202, later.text
    assert later.json()["id"] != request_id
    assert wait_done(dpo, later.json()["id"])["status"] == "completed"
    assert dpo.get(f"/api/privacy/requests/{request_id}").json()["status"] == "awaiting_code"
    wrong = "00000000" if code != "00000000" else "11111111"
    assert (
        dpo.post(f"/api/privacy/requests/{request_id}/verify", json={"code": wrong}).status_code
        == 422
    )
    assert (
        platform.login("bob@demo.test")
        .post(f"/api/privacy/requests/{request_id}/verify", json={"code": code})
        .status_code
        == 403
    )
    verified = dpo.post(f"/api/privacy/requests/{request_id}/verify", json={"code": code})
    assert verified.status_code == 200, verified.text
    assert verified.json()["verification"]["status"] == "verified"
    assert verified.json()["verification"]["document_deleted_at"]  # gone right after the check
    assert wait_done(dpo, request_id)["status"] == "completed"
    again = dpo.post(f"/api/privacy/requests/{request_id}/verify", json={"code": code})
    assert again.status_code == 404


def newsletter_mails_any(platform: Platform, to: str) -> list[str]:
    """The texts of every mail to ``to`` in the sink."""
    texts = []
    for path in (platform.var_dir / "mail").glob("*.eml"):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == to:
            body = message.get_body(preferencelist=("plain",))
            texts.append(str(body.get_content()) if body else "")
    return texts
