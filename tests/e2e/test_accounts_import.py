"""The employee import (ID4) through Nginx: a tenant admin uploads a CSV, new employees are
invited by email and set their password, a re-upload changes nothing, bad lines and bad files
are reported without personal data, missing employees are deactivated and logged out."""

import re
import secrets
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, Platform
from tests.e2e.test_privacy import new_employee

pytestmark = pytest.mark.e2e

HEADER = "email,first_name,last_name\n"


def upload(client: httpx.Client, data: bytes | str, **params: Any) -> httpx.Response:
    body = data.encode() if isinstance(data, str) else data
    query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    return client.post(
        "/api/users/import",
        content=body,
        params=query,
        headers={"Content-Type": "text/csv; charset=utf-8"},
        timeout=60,
    )


def unique(prefix: str = "imp") -> str:
    return f"{prefix}-{secrets.token_hex(4)}@demo.test"


def mails_to(platform: Platform, to: str, timeout: float = 20) -> list[EmailMessage]:
    """The sink's mails to ``to``, waiting a while for at least one."""
    deadline, found = time.monotonic() + timeout, list[EmailMessage]()
    while not found and time.monotonic() < deadline:
        for path in (platform.var_dir / "mail").glob("*.eml"):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            if message["To"] == to:
                assert isinstance(message, EmailMessage)
                found.append(message)
        if not found:
            time.sleep(0.2)
    return found


def invitation_token(platform: Platform, to: str) -> str:
    [mail] = mails_to(platform, to)
    assert "Your access" in str(mail["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None
    match = re.search(r"/set-password#token=([A-Za-z0-9_-]+)", body.get_content())
    assert match, "no invitation link"
    return match.group(1)


def logged_out(client: httpx.Client) -> bool:
    """The gateway caches a session check for 2 s, counted in whole seconds: up to 3 s."""
    deadline = time.monotonic() + 4
    while client.get("/api/auth/me").status_code != 401:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def users_by_email(admin: httpx.Client) -> dict[str, dict[str, Any]]:
    listed = admin.get("/api/users")
    assert listed.status_code == 200, listed.text
    return {u["email"]: u for u in listed.json() if u["email"]}


def test_new_employees_are_invited_set_a_password_and_reupload_changes_nothing(
    platform: Platform,
) -> None:
    admin = platform.login("admin@demo.test")
    erin, frank = unique(), unique()
    data = "\ufeff" + HEADER + f"{erin.upper()},Erin,Durand\n{frank},Frank,Moreau\n"
    response = upload(admin, data)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "errors": [],
        "dry_run": False,
    }
    listed = users_by_email(admin)
    assert listed[erin]["roles"] == ["employee"] and listed[erin]["last_name"] == "Durand"
    again = upload(admin, data)
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
    # The invitation arrives once, with its single-use link; the person sets a password.
    token = invitation_token(platform, erin)
    with platform.client() as anonymous:
        new = {"token": token, "password": PASSWORD}
        redeemed = anonymous.post("/api/auth/password-reset/confirm", json=new)
        assert redeemed.status_code == 204, redeemed.text
        assert anonymous.post("/api/auth/password-reset/confirm", json=new).status_code == 400
    assert platform.login(erin).get("/api/auth/me").json()["first_name"] == "Erin"
    assert len(mails_to(platform, frank)) == 1


def test_excel_french_export_in_windows_1252(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    person = unique("eloise")
    data = f"Courriel;Prénom;Nom;Rôle\r\n{person};Éloïse;Lefèvre-Hervé;salarié\r\n"
    response = upload(admin, data.encode("cp1252"))
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    listed = users_by_email(admin)[person]
    assert (listed["first_name"], listed["last_name"]) == ("Éloïse", "Lefèvre-Hervé")


def test_line_errors_stop_everything_or_only_their_line(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    good = unique()
    data = HEADER + f"{good},Gina,Roux\ncarol@other.test,Carol,Petit\n{good},Gina,Again\n"
    refused = upload(admin, data)
    assert refused.status_code == 422
    report = refused.json()
    assert report["errors"] == [
        {"line": 3, "error": "email outside the company's domains"},
        {"line": 4, "error": "same email as line 2"},
    ]
    assert report["created"] == 0 and good not in users_by_email(admin)
    for personal in ("carol", "Petit", good, "Gina"):
        assert personal not in refused.text
    dry = upload(admin, data, mode="per_line", dry_run=True)
    assert (dry.status_code, dry.json()["created"], dry.json()["dry_run"]) == (200, 1, True)
    assert good not in users_by_email(admin)
    applied = upload(admin, data, mode="per_line")
    assert applied.status_code == 200
    assert applied.json()["created"] == 1 and len(applied.json()["errors"]) == 2
    assert good in users_by_email(admin)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"", "the file is empty"),
        (b"email,first_name\nx@demo.test,X\n", "missing columns: last_name"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a CSV file"),
        (b'email,first_name,last_name\n"x@demo.test,X,Y\n', "unclosed quote"),
    ],
)
def test_a_malformed_file_is_refused_with_a_clear_error(
    platform: Platform, body: bytes, detail: str
) -> None:
    admin = platform.login("admin@demo.test")
    response = upload(admin, body, mode="per_line")
    assert response.status_code == 422
    assert detail in response.json()["detail"]


def test_only_a_tenant_admin_imports_and_only_csv(platform: Platform) -> None:
    data = HEADER + f"{unique()},A,B\n"
    assert upload(platform.login("alice@demo.test"), data).status_code == 403
    admin = platform.login("admin@demo.test")
    as_json = admin.post("/api/users/import", json={"email": "x"})
    assert as_json.status_code == 415
    with platform.client() as anonymous:
        assert upload(anonymous, data).status_code == 401


def test_missing_employees_are_deactivated_and_logged_out_then_reactivated(
    platform: Platform,
) -> None:
    admin = platform.login("admin@demo.test")
    leaver, _, _ = new_employee(platform, first="Leaver")
    session = platform.login(leaver)
    assert session.get("/api/auth/me").status_code == 200
    staff = ("admin@demo.test", "dpo@demo.test", "agent@demo.test")
    everyone = users_by_email(admin)
    employees = {e: u for e, u in everyone.items() if u["roles"] == ["employee"]}
    lines = [f"{e},{u['first_name']},{u['last_name']}" for e, u in employees.items() if e != leaver]
    response = upload(admin, HEADER + "\n".join(lines) + "\n", deactivate_missing=True)
    assert response.status_code == 200, response.text
    assert (response.json()["deactivated"], response.json()["unchanged"]) == (1, len(lines))
    with platform.client() as anonymous:
        login = {"tenant": "demo", "email": leaver, "password": PASSWORD}
        assert anonymous.post("/api/auth/login", json=login).status_code == 401
    assert logged_out(session)
    for person in ("alice@demo.test", *staff):  # in the file, or staff: still logging in
        assert platform.login(person).get("/api/auth/me").status_code == 200
    # In the file again: reactivated, and able to log in.
    leaver_line = f"{leaver},{employees[leaver]['first_name']},{employees[leaver]['last_name']}"
    back = upload(admin, HEADER + leaver_line + "\n")
    assert (back.status_code, back.json()["updated"]) == (200, 1)
    assert platform.login(leaver).get("/api/auth/me").status_code == 200
