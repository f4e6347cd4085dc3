"""Subsidies through the gateway: rules applied to orders, the budget under concurrent orders,
SEPA bookings with encrypted and masked bank details, k-anonymous statistics, export and
erasure."""

import asyncio
import io
import json
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_orders import pay, wait_status
from tests.e2e.test_privacy import _rows_mentioning, new_employee, wait_done

pytestmark = pytest.mark.e2e

IBAN = "FR76 3000 6000 0112 3456 7890 189"
BIC = "BNPAFRPPXXX"
MASKED = "FR76 **** **** 0189"


def parent(platform: Platform, children: int = 2) -> tuple[httpx.Client, str, str]:
    """A fresh employee with a beneficiary profile: (client, email, user id)."""
    email, _last, user_id = new_employee(platform)
    client = platform.login(email)
    saved = client.put("/api/subsidies/profile", json={"children_count": children})
    assert saved.status_code == 200, saved.text
    return client, email, user_id


def cinema(client: httpx.Client) -> dict[str, Any]:
    offers: list[dict[str, Any]] = client.get("/api/offers").json()
    return next(o for o in offers if o["title"] == "Place de cinéma")


def wait_until(check: Any, what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
    return found


def test_an_employee_with_two_children_gets_the_cinema_subsidy(platform: Platform) -> None:
    person, _email, _user = parent(platform)
    rules = person.get("/api/subsidies/eligibility").json()
    family = next(r for r in rules if r["offer_kind"] == "ticket")
    assert (
        family["amount_cents"] == 300 and family["remaining_cents"] == family["cap_cents_per_year"]
    )
    ticket = cinema(person)
    placed = person.post("/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 2}]})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["subsidy_cents"] == 600
    assert order["to_pay_cents"] == 2 * ticket["price_cents"] - 600
    pay(person, order["id"])  # the provider collects the price less the subsidy
    wait_status(person, order["id"], "fulfilled")
    assert person.get(f"/api/orders/{order['id']}/invoice").json()["subsidy_cents"] == 600
    used = {r["rule_id"]: r for r in person.get("/api/subsidies/eligibility").json()}
    assert used[family["rule_id"]]["used_cents"] == 600
    # Without children the rule does not apply: no subsidy.
    childless, _e, _u = parent(platform, children=0)
    other = childless.post(
        "/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 1}]}
    )
    assert other.json()["subsidy_cents"] == 0
    # A cancelled order gives the subsidy back (through the orders' event).
    again = person.post("/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 1}]})
    assert again.json()["subsidy_cents"] == 300
    assert person.post(f"/api/orders/{again.json()['id']}/cancel").status_code == 200

    def back() -> bool:
        rules = {r["rule_id"]: r for r in person.get("/api/subsidies/eligibility").json()}
        return bool(rules[family["rule_id"]]["used_cents"] == 600)

    wait_until(back, "the cancelled order's subsidy was never released")


def test_the_budget_holds_under_20_concurrent_orders(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    year = time.gmtime().tm_year
    before = admin.get("/api/subsidies/budget").json()
    # Room for five cinema subsidies (300 each), no more.
    tight = {"year": year, "amount_cents": before["reserved_cents"] + 1500}
    assert admin.put("/api/subsidies/budget", json=tight).status_code == 200
    try:
        people = [parent(platform)[0] for _ in range(20)]
        ticket = cinema(people[0])

        def order(client: httpx.Client) -> httpx.Response:
            return client.post(
                "/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 1}]}
            )

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(order, people))
        assert [a.status_code for a in answers] == [201] * 20
        granted = sorted(a.json()["subsidy_cents"] for a in answers)
        assert sum(granted) == 1500 and granted.count(300) == 5, granted
        after = admin.get("/api/subsidies/budget").json()
        assert after["remaining_cents"] == 0 and after["reserved_cents"] == after["amount_cents"]
    finally:
        admin.put("/api/subsidies/budget", json={"year": year, "amount_cents": 5_000_000})


def test_bank_details_are_ciphertext_in_the_database_and_masked_everywhere(
    platform: Platform,
) -> None:
    person, _email, user_id = parent(platform)
    for bad in ({"iban": IBAN[:-1] + "8", "bic": BIC}, {"iban": IBAN, "bic": "BNP"}):
        refused = person.post("/api/subsidies/mandates", json={"holder": "Ann Lee", **bad})
        assert refused.status_code == 422
        assert "3000" not in refused.text and "BNP" not in refused.text
    signed = person.post(
        "/api/subsidies/mandates", json={"holder": "Ann Lee", "iban": IBAN, "bic": BIC}
    )
    assert signed.status_code == 201, signed.text
    mandate = signed.json()
    assert mandate["iban"] == MASKED and mandate["bic"] == "BNPA*******"
    activity = person.get("/api/subsidies/activities").json()[0]
    booked = person.post(
        "/api/subsidies/bookings", json={"activity_id": activity["id"], "mandate_id": mandate["id"]}
    )
    assert booked.status_code == 201, booked.text
    booking = booked.json()
    assert booking["subsidy_cents"] == activity["price_cents"] // 2  # the 50 % holiday rule
    assert booking["debit_cents"] == activity["price_cents"] - booking["subsidy_cents"]
    responses = [
        signed.text,
        booked.text,
        person.get("/api/subsidies/mandates").text,
        person.get("/api/subsidies/bookings").text,
    ]
    digits = IBAN.replace(" ", "")
    for text in responses:
        assert digits not in text and digits[4:20] not in text and MASKED in text
    stored = asyncio.run(_mandate_columns(platform, user_id))
    assert stored and all(v.startswith("k1:") and digits not in v for v in stored)
    bob = platform.login("bob@demo.test")
    assert bob.post(f"/api/subsidies/bookings/{booking['id']}/cancel").status_code == 404
    assert bob.delete(f"/api/subsidies/mandates/{mandate['id']}").status_code == 404
    logs = "".join(p.read_text(errors="replace") for p in (platform.var_dir / "logs").glob("*.log"))
    assert digits not in logs and "Ann Lee" not in logs


async def _mandate_columns(platform: Platform, user_id: str) -> list[str]:
    url = platform.stack.config.database_urls["subsidies"].replace(
        "postgresql+asyncpg", "postgresql"
    )
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT iban, bic, holder FROM mandates WHERE user_id = $1", user_id
        )
        return [] if row is None else [row["iban"], row["bic"], row["holder"]]
    finally:
        await conn.close()


def test_statistics_never_show_a_group_of_fewer_than_five(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    assert platform.login("bob@demo.test").get("/api/subsidies/stats").status_code == 403

    def shown() -> list[dict[str, Any]]:
        cells: list[dict[str, Any]] = admin.get("/api/subsidies/stats?by=kind").json()["cells"]
        return cells

    cells = wait_until(shown, "no statistics at all")
    assert all(cell["people"] >= 5 for cell in cells), cells
    # One person booked an activity: that group never shows on its own.
    assert "activity" not in {cell["label"] for cell in cells}
    by_children = admin.get("/api/subsidies/stats?by=children").json()
    assert all(cell["people"] >= 5 for cell in by_children["cells"])
    assert admin.get("/api/subsidies/stats?by=name").status_code == 422


def test_bad_rules_are_refused_and_only_admins_write_them(platform: Platform) -> None:
    admin, bob = platform.login("admin@demo.test"), platform.login("bob@demo.test")
    rule = {
        "name": "Books",
        "offer_kind": "voucher",
        "amount_cents": 500,
        "cap_cents_per_year": 2000,
    }
    assert bob.post("/api/subsidies/rules", json=rule).status_code == 403
    for bad in (
        rule | {"amount_cents": -5},
        rule | {"percent": 10},  # an amount and a percentage
        {k: v for k, v in rule.items() if k != "amount_cents"},  # neither
        rule | {"cap_cents_per_year": 0},
        rule | {"offer_kind": "cars"},
    ):
        assert admin.post("/api/subsidies/rules", json=bad).status_code == 422
    before = len(admin.get("/api/subsidies/rules").json())
    created = admin.post("/api/subsidies/rules", json=rule)
    assert created.status_code == 201
    carol = platform.login("carol@other.test", tenant="other")
    assert created.json()["id"] not in {
        r["rule_id"] for r in carol.get("/api/subsidies/eligibility").json()
    }
    assert admin.delete(f"/api/subsidies/rules/{created.json()['id']}").status_code == 204
    assert len(admin.get("/api/subsidies/rules").json()) == before
    assert bob.put("/api/subsidies/profile", json={"children_count": -1}).status_code == 422


def test_export_and_erasure_cover_subsidies(platform: Platform) -> None:
    person, email, user_id = parent(platform, children=3)
    mandate = person.post(
        "/api/subsidies/mandates", json={"holder": "Eve Erased", "iban": IBAN, "bic": BIC}
    ).json()
    activity = person.get("/api/subsidies/activities").json()[0]
    person.post(
        "/api/subsidies/bookings", json={"activity_id": activity["id"], "mandate_id": mandate["id"]}
    )
    export = person.post("/api/privacy/requests", json={"type": "access"}).json()
    assert wait_done(person, export["id"])["status"] == "completed"
    archive = person.get(f"/api/privacy/requests/{export['id']}/archive").content
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        data = json.loads(z.read("subsidies.json"))
    assert data["profiles"][0]["children_count"] == 3
    assert data["mandates"][0]["iban"] == IBAN.replace(" ", "")  # the person reads their own
    assert len(data["bookings"]) == 1 and len(data["grants"]) == 1
    erasure = person.post("/api/privacy/requests", json={"type": "erasure"}).json()
    done = wait_done(platform.login("dpo@demo.test"), erasure["id"])
    assert done["status"] == "completed"
    tables = {t["table"]: t for t in done["report"]["subsidies"]["erase"]["tables"]}
    assert tables["mandates"]["kept_rows"] == 1  # used for a debit: 13 months, restricted
    assert tables["profiles"]["erased_rows"] == 1 and tables["profiles"]["kept_rows"] == 0
    found = asyncio.run(
        _rows_mentioning(platform.stack.config.database_urls["subsidies"], [user_id, email])
    )
    assert set(found) <= {"restricted_archive"}, found
