"""The family quotient through the gateway: a tenant admin sets the formula and brackets and a
rule for bracket A; an employee declares (the two figures and the tax notice, multipart); the
admin reads the notice and approves bracket A; the bracket's rule applies to the employee's
order; the export and the register show the declaration; and neither the notice nor the income
survives the check: not in any table of the subsidies database, not in any file under the
stack's var/ folder, not in any service's or the gateway's log. Then the erasure takes the rest.
"""

import asyncio
import base64
import io
import json
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import EMAIL, Platform, assert_logs_hold_none_of
from tests.e2e.test_dpo_governance import declared_register
from tests.e2e.test_privacy import _rows_mentioning, new_employee, wait_done
from tests.e2e.test_subsidies import cinema

pytestmark = pytest.mark.e2e

#: A reference tax income no id, date or amount of the stack spells by chance.
INCOME = 2_718_281
MARKER = "AVIS-IMPOT-QF19-7c1e5d"
NOTICE = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    + f"% {MARKER} revenu fiscal de reference {INCOME}\n".encode()
    + b"%%EOF\n"
)
BRACKETS = {
    "formula": "monthly",
    # 2,718,281 / 20 shares / 12 = 11,326 euros a month: bracket A here.
    "brackets": [
        {"name": "A", "up_to": 12_000},
        {"name": "B", "up_to": 40_000},
        {"name": "C", "up_to": None},
    ],
    "default_bracket": "C",
}


def declare(client: httpx.Client, content: bytes = NOTICE, **fields: str) -> httpx.Response:
    data = {"income": str(INCOME), "shares": "20", "tax_year": str(time.gmtime().tm_year)}
    return client.post(
        "/api/subsidies/quotient",
        data=data | fields,
        files={"document": ("avis.pdf", content, "application/pdf")},
    )


def files_holding(root: Path, values: list[bytes]) -> list[str]:
    """Every file under ``root`` (the stack's var/ folder) that holds one of ``values``."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if any(value in data for value in values):
                found.append(str(path.relative_to(root)))
    return found


def test_declare_check_apply_and_nothing_of_the_notice_remains(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    assert admin.put("/api/subsidies/quotient/settings", json=BRACKETS).status_code == 200
    rule = admin.post(
        "/api/subsidies/rules",
        json={
            "name": "Cinema, family quotient bracket A",
            "offer_kind": "ticket",
            "bracket": "A",
            "amount_cents": 500,
            "cap_cents_per_year": 5000,
        },
    )
    assert rule.status_code == 201, rule.text
    assert rule.json()["bracket"] == "A"
    year = time.gmtime().tm_year
    budget = admin.get("/api/subsidies/budget").json()
    admin.put(
        "/api/subsidies/budget",
        json={"year": year, "amount_cents": max(budget["amount_cents"], 5_000_000)},
    )
    try:
        email, _last, user_id = new_employee(platform)
        person = platform.login(email)
        assert person.get("/api/subsidies/quotient").json()["bracket"] == "C"
        ticket = cinema(person)

        def order() -> int:
            placed = person.post(
                "/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 1}]}
            )
            assert placed.status_code == 201, placed.text
            return int(placed.json()["subsidy_cents"])

        assert order() == 0  # the default bracket: the rule for A does not apply
        # Bad input: a 4xx that keeps nothing and quotes nothing back.
        refused = declare(person, b"GIF89a" + NOTICE)
        assert refused.status_code == 422 and str(INCOME) not in refused.text
        assert declare(person, tax_year="2100").status_code == 422  # this year or the two before
        too_big = declare(person, b"%PDF-" + b"0" * 7_000_000)
        assert too_big.status_code == 413  # the gateway's limit for this route (6 MB)
        assert person.get("/api/subsidies/quotient").json()["status"] == "none"
        # An employee cannot reach the admin's queue.
        assert person.get("/api/subsidies/quotient/pending").status_code == 403

        filed = declare(person)
        assert filed.status_code == 201, filed.text
        declaration = filed.json()
        assert declaration["proposed_bracket"] == "A"
        assert person.get("/api/subsidies/quotient").json()["status"] == "pending"

        queue = admin.get("/api/subsidies/quotient/pending").json()
        line = next(d for d in queue if d["id"] == declaration["id"])
        assert line["user_id"] == user_id and line["income"] == INCOME
        notice = admin.get(f"/api/subsidies/quotient/pending/{declaration['id']}/document")
        assert notice.status_code == 200 and notice.content == NOTICE
        assert notice.headers["cache-control"] == "no-store"  # the gateway's, on every /api/

        # While it waits, the notice is ciphertext in the database.
        waiting = asyncio.run(
            _rows_mentioning(
                platform.stack.config.database_urls["subsidies"], [MARKER, str(INCOME)]
            )
        )
        assert waiting == {}, waiting

        checked = admin.post(
            f"/api/subsidies/quotient/pending/{declaration['id']}/check",
            json={"approved": True, "bracket": "A"},
        )
        assert checked.status_code == 200, checked.text
        assert checked.json()["proposed_bracket"] is None  # derived from the income: gone
        status = person.get("/api/subsidies/quotient").json()
        assert (status["status"], status["bracket"], status["is_default"]) == (
            "approved",
            "A",
            False,
        )
        assert status["document_sha256"] == declaration["document_sha256"]
        gone = admin.get(f"/api/subsidies/quotient/pending/{declaration['id']}/document")
        assert gone.status_code == 404

        assert order() == 500  # bracket A: the rule applies

        # Nothing of the notice or the income anywhere: tables, files, logs.
        b64 = base64.b64encode(NOTICE).decode()
        found = asyncio.run(
            _rows_mentioning(
                platform.stack.config.database_urls["subsidies"],
                [MARKER, str(INCOME), f"{INCOME:,}", b64[:40]],
            )
        )
        assert found == {}, found
        assert files_holding(platform.var_dir, [MARKER.encode(), str(INCOME).encode()]) == []
        assert_logs_hold_none_of(platform, (MARKER, str(INCOME)), EMAIL)

        # The export holds the declaration, without a figure; the register declares it.
        export = person.post("/api/privacy/requests", json={"type": "access"}).json()
        assert wait_done(person, export["id"])["status"] == "completed"
        archive = person.get(f"/api/privacy/requests/{export['id']}/archive").content
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            data = json.loads(z.read("subsidies.json"))
        [exported] = data["quotient_declarations"]
        assert exported["bracket"] == "A" and exported["tax_year"] == year
        assert exported["proposed_bracket"] is None
        assert str(INCOME) not in json.dumps(data)
        dpo = platform.login("dpo@demo.test")
        declared_register(dpo)
        assert "family quotient bracket" in dpo.get("/api/privacy/register").text

        # The erasure takes the declaration.
        erasure = person.post("/api/privacy/requests", json={"type": "erasure"}).json()
        assert wait_done(dpo, erasure["id"])["status"] == "completed"
        left = asyncio.run(
            _rows_mentioning(platform.stack.config.database_urls["subsidies"], [user_id])
        )
        assert "quotient_declarations" not in left, left
    finally:
        admin.delete(f"/api/subsidies/rules/{rule.json()['id']}")


def test_a_refused_declaration_deletes_the_notice_too(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    assert admin.put("/api/subsidies/quotient/settings", json=BRACKETS).status_code == 200
    email, _last, _user = new_employee(platform)
    person = platform.login(email)
    filed = declare(person, shares="1")
    assert filed.status_code == 201, filed.text
    declaration_id = filed.json()["id"]
    again = declare(person)
    assert again.status_code == 409  # one waits already
    refused = admin.post(
        f"/api/subsidies/quotient/pending/{declaration_id}/check", json={"approved": False}
    )
    assert refused.status_code == 200 and refused.json()["document_deleted_at"]
    status = person.get("/api/subsidies/quotient").json()
    assert (status["status"], status["bracket"], status["is_default"]) == ("refused", "C", True)
    found = asyncio.run(
        _rows_mentioning(platform.stack.config.database_urls["subsidies"], [MARKER, str(INCOME)])
    )
    assert found == {}, found
    assert (
        admin.get(f"/api/subsidies/quotient/pending/{declaration_id}/document").status_code == 404
    )
