"""The family quotient's routes in process: who may call which, the multipart declaration
(figures and notice), the admin's queue, the notice served for the check,
the check, and bad input answered with a 4xx that changes nothing."""

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from kit.auth import Principal, Role
from kit.testing import BadgeVerifier, badge
from subsidies.config import Settings
from subsidies.main import build_app
from subsidies.models import Base, events
from subsidies.quotients.models import QuotientDocument

TENANT = "t-1"
PEOPLE = {
    "admin": Principal("u-admin", TENANT, "demo", frozenset({Role.TENANT_ADMIN.value}), "s"),
    "alice": Principal("u-alice", TENANT, "demo", frozenset({Role.EMPLOYEE.value}), "s"),
    "other-admin": Principal("u-o", "t-2", "demo", frozenset({Role.TENANT_ADMIN.value}), "s"),
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"NOTICE-BYTES"
SETTINGS = {
    "formula": "monthly",
    "brackets": [{"name": "A", "up_to": 700}, {"name": "B", "up_to": None}],
    "default_bracket": "B",
}
BASE = "/api/subsidies/quotient"


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    path = tmp_path / "subsidies.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def client(tmp_path: Path, database_file: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database_file}",
        var_dir=tmp_path,
        quotient_document_max_bytes=1000,
    )
    with TestClient(build_app(settings, verifier=BadgeVerifier(PEOPLE), outbox=None)) as client:
        # The outbox without its relay: the audit records of the admin's reads stay in it.
        client.app.state.events = events  # type: ignore[attr-defined]
        yield client


def documents(database_file: Path) -> int:
    engine = create_engine(f"sqlite:///{database_file}")
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(QuotientDocument)).scalar_one()
    engine.dispose()
    return int(count)


def audited(database_file: Path) -> list[str]:
    """The ``what`` of each audit record in the outbox."""
    engine = create_engine(f"sqlite:///{database_file}")
    with engine.connect() as conn:
        query = select(events.outbox.c.body).where(events.outbox.c.type == "audit.recorded")
        rows = conn.execute(query.order_by(events.outbox.c.created_at)).scalars().all()
    engine.dispose()
    return [json.loads(row)["payload"]["what"] for row in rows]


#: The year of the works council (Europe/Paris) the routes run in.
THIS_YEAR = datetime.now(ZoneInfo("Europe/Paris")).year


def declare(
    client: TestClient, content: bytes = PNG, who: str = "alice", **fields: str
) -> httpx.Response:
    data = {"income": "15000", "shares": "2", "tax_year": str(THIS_YEAR)} | fields
    response: httpx.Response = client.post(
        BASE,
        data=data,
        files={"document": ("avis.png", content, "image/png")},
        headers=badge(who),
    )
    return response


def test_employees_cannot_reach_the_admins_routes(client: TestClient) -> None:
    for method, path in (
        ("GET", f"{BASE}/settings"),
        ("GET", f"{BASE}/pending"),
        ("GET", f"{BASE}/pending/x/document"),
        ("POST", f"{BASE}/pending/x/check"),
    ):
        assert client.request(method, path, headers=badge("alice")).status_code == 403
    assert client.put(f"{BASE}/settings", json=SETTINGS, headers=badge("alice")).status_code == 403


def test_declare_check_and_the_notice_is_gone(client: TestClient, database_file: Path) -> None:
    assert client.get(f"{BASE}/settings", headers=badge("admin")).json()["configured"] is False
    assert declare(client).status_code == 409  # no settings yet: nothing to declare to
    saved = client.put(f"{BASE}/settings", json=SETTINGS, headers=badge("admin"))
    assert saved.status_code == 200 and saved.json()["default_bracket"] == "B"
    before = client.get(BASE, headers=badge("alice")).json()
    assert (before["status"], before["bracket"], before["is_default"]) == ("none", "B", True)

    filed = declare(client)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["proposed_bracket"] == "A" and "income" not in body  # 15000 / 2 / 12 = 625
    assert client.get(BASE, headers=badge("alice")).json()["status"] == "pending"

    queue = client.get(f"{BASE}/pending", headers=badge("admin"))
    [line] = queue.json()
    assert (line["income"], line["quotient"], line["has_document"]) == (15000, 625, True)
    assert client.get(f"{BASE}/pending", headers=badge("other-admin")).json() == []
    notice = client.get(f"{BASE}/pending/{line['id']}/document", headers=badge("admin"))
    assert notice.content == PNG and notice.headers["content-type"] == "image/png"
    other = client.get(f"{BASE}/pending/{line['id']}/document", headers=badge("other-admin"))
    assert other.status_code == 404

    bad = client.post(
        f"{BASE}/pending/{line['id']}/check", json={"approved": True}, headers=badge("admin")
    )
    assert bad.status_code == 422 and documents(database_file) == 1
    checked = client.post(
        f"{BASE}/pending/{line['id']}/check",
        json={"approved": True, "bracket": "A"},
        headers=badge("admin"),
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["document_deleted_at"] is not None
    assert documents(database_file) == 0
    gone = client.get(f"{BASE}/pending/{line['id']}/document", headers=badge("admin"))
    assert gone.status_code == 404
    # The admin's reads and the check are in the person's access log (through the outbox).
    assert audited(database_file) == [
        "family quotient declaration", "tax notice", "family quotient declaration"
    ]  # fmt: skip
    after = client.get(BASE, headers=badge("alice")).json()
    assert (after["status"], after["bracket"], after["is_default"]) == ("approved", "A", False)


@pytest.mark.parametrize(
    "content,fields",
    [
        (b"GIF89a not a notice", {}),  # a type that is not accepted
        (b"%PDF-" + b"x" * 1000, {}),  # over QUOTIENT_DOCUMENT_MAX_BYTES (1000 here)
        (PNG, {"shares": "1.1"}),  # shares go by quarters
        (PNG, {"shares": "0"}),
        (PNG, {"income": "-1"}),
        (PNG, {"income": "lots"}),
        (PNG, {"tax_year": "1999"}),
        # The notice of year N-1's income is issued in year N: this year and the two before.
        (PNG, {"tax_year": str(THIS_YEAR + 1)}),
        (PNG, {"tax_year": str(THIS_YEAR - 3)}),
        (PNG, {"tax_year": "2100"}),
    ],
)
def test_bad_declarations_are_refused_and_nothing_is_kept(
    client: TestClient, database_file: Path, content: bytes, fields: dict[str, str]
) -> None:
    client.put(f"{BASE}/settings", json=SETTINGS, headers=badge("admin"))
    refused = declare(client, content, **fields)
    assert refused.status_code == 422, refused.text
    assert "15000" not in refused.text  # the figure is not quoted back
    assert documents(database_file) == 0
    assert client.get(BASE, headers=badge("alice")).json()["status"] == "none"


def test_a_declaration_without_the_notice_is_refused(client: TestClient) -> None:
    client.put(f"{BASE}/settings", json=SETTINGS, headers=badge("admin"))
    response = client.post(
        BASE, data={"income": "1", "shares": "1", "tax_year": "2026"}, headers=badge("alice")
    )
    assert response.status_code == 422


def test_an_admin_cannot_check_their_own_declaration(
    client: TestClient, database_file: Path
) -> None:
    client.put(f"{BASE}/settings", json=SETTINGS, headers=badge("admin"))
    own = declare(client, who="admin")
    assert own.status_code == 201, own.text
    for body in ({"approved": True, "bracket": "A"}, {"approved": False}):
        refused = client.post(
            f"{BASE}/pending/{own.json()['id']}/check", json=body, headers=badge("admin")
        )
        assert refused.status_code == 403, refused.text
        assert "your own declaration" in refused.json()["detail"]
    assert documents(database_file) == 1  # nothing changed
    theirs = declare(client)
    late = client.post(
        f"{BASE}/pending/{theirs.json()['id']}/check",
        json={"approved": True, "bracket": "A", "tax_year": 2100},
        headers=badge("admin"),
    )
    assert late.status_code == 422, late.text
    assert documents(database_file) == 2
