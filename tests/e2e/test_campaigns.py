"""Gift campaigns through the gateway: an admin previews and creates a campaign, is warned
before going over URSSAF's limit, an eligible employee sees and spends the voucher on an order
(an ineligible one has none), and the yearly report says what is exempt."""

import csv
import io
from typing import Any

import httpx
import pytest

from bench.data.__main__ import load_into
from tests.e2e.conftest import PASSWORD, Platform
from tests.e2e.test_privacy import new_employee
from tests.e2e.test_subsidies import cinema, wait_until

pytestmark = pytest.mark.e2e

#: Only this test's employees have that many children: the campaigns reach nobody else.
CHILDREN = 17


def employee(platform: Platform, children: int) -> tuple[httpx.Client, str]:
    email, _last, user_id = new_employee(platform)
    client = platform.login(email)
    saved = client.put("/api/subsidies/profile", json={"children_count": children})
    assert saved.status_code == 200, saved.text
    return client, user_id


def campaign(amount: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Noël 2026",
        "event": "christmas",
        "amount_cents": amount,
        "min_children": CHILDREN,
        **extra,
    }


def report(admin: httpx.Client, year: int, path: str = "report") -> list[dict[str, Any]]:
    """Every page of the year's report."""
    lines: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"year": year, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = admin.get(f"/api/subsidies/campaigns/{path}", params=params)
        assert page.status_code == 200, page.text
        lines += page.json()
        cursor = page.headers.get("x-next-cursor")
        if cursor is None:
            return lines


def test_a_gift_campaign_within_the_exemption_limit(platform: Platform) -> None:
    admin = platform.login("admin@demo.test")
    eligible, eligible_id = employee(platform, CHILDREN)
    ineligible, ineligible_id = employee(platform, CHILDREN - 1)
    events = {e["event"]: e for e in admin.get("/api/subsidies/campaigns/events").json()}
    limit = events["christmas"]["limit_cents"]
    assert events["back_to_school"]["per_child_limit"] is True
    assert eligible.get("/api/subsidies/campaigns/events").status_code == 403

    # Exactly at the limit: nobody over it, created without a confirmation.
    preview = admin.post("/api/subsidies/campaigns/preview", json=campaign(limit))
    assert preview.status_code == 200, preview.text
    assert preview.json()["limit_cents"] == limit and preview.json()["beneficiaries"] >= 1
    assert eligible_id not in {e["user_id"] for e in preview.json()["exceeding"]}
    first = admin.post("/api/subsidies/campaigns", json=campaign(limit))
    assert first.status_code == 201, first.text
    year = first.json()["year"]

    # One cent more for the same event in the same year: warned, refused until confirmed.
    warned = admin.post("/api/subsidies/campaigns/preview", json=campaign(1)).json()
    mine = next(e for e in warned["exceeding"] if e["user_id"] == eligible_id)
    # Beyond the limit the whole event is subject (BOSS): the earlier voucher with this cent.
    assert (mine["already_cents"], mine["excess_cents"]) == (limit, limit + 1)
    refused = admin.post("/api/subsidies/campaigns", json=campaign(1))
    assert refused.status_code == 409 and "confirm_over_limit" in refused.json()["detail"]
    confirmed = admin.post("/api/subsidies/campaigns", json=campaign(1, confirm_over_limit=True))
    assert confirmed.status_code == 201 and confirmed.json()["not_exempt_cents"] >= 1
    listed = admin.get("/api/subsidies/campaigns").json()
    assert {first.json()["id"], confirmed.json()["id"]} <= {c["id"] for c in listed}

    # The eligible employee has both vouchers; the other one none.
    vouchers = eligible.get("/api/subsidies/vouchers").json()
    assert sorted(v["remaining_cents"] for v in vouchers) == [1, limit]
    assert ineligible.get("/api/subsidies/vouchers").json() == []
    assert eligible.get("/api/subsidies/campaigns/report", params={"year": year}).status_code == 403

    # An order takes what the subsidy left to pay from the vouchers; cancelled, gives it back.
    ticket = cinema(eligible)
    price = 2 * ticket["price_cents"]
    placed = eligible.post(
        "/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 2}]}
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["subsidy_cents"] == price and order["to_pay_cents"] == 0
    left = sum(v["remaining_cents"] for v in eligible.get("/api/subsidies/vouchers").json())
    assert 0 < limit + 1 - left < price  # the cinema rule paid its part, the vouchers the rest
    other = ineligible.post(
        "/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": 2}]}
    ).json()
    assert other["to_pay_cents"] > 0  # no voucher: only the cinema rule's subsidy
    assert eligible.post(f"/api/orders/{order['id']}/cancel").status_code == 200
    wait_until(
        lambda: (
            sum(v["remaining_cents"] for v in eligible.get("/api/subsidies/vouchers").json())
            == limit + 1
        ),
        "the cancelled order's voucher amount came back",
    )

    # The yearly report (every page): one cent above the limit, the whole event is not exempt.
    lines = {(r["user_id"], r["event"]): r for r in report(admin, year)}
    line = lines[(eligible_id, "christmas")]
    assert (line["issued_cents"], line["exempt_cents"], line["not_exempt_cents"]) == (
        limit + 1,
        0,
        limit + 1,
    )
    assert (ineligible_id, "christmas") not in lines
    as_csv = admin.get("/api/subsidies/campaigns/report.csv", params={"year": year, "limit": 500})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {"user_id": eligible_id, "not_exempt_cents": str(limit + 1)}.items() <= next(
        r for r in rows if r["user_id"] == eligible_id
    ).items()
    assert "Erin" not in as_csv.text  # ids only, never a name


def test_a_campaign_with_no_condition_reaches_every_active_employee(platform: Platform) -> None:
    """Employees who never saved a subsidies profile get a Christmas voucher too (identity
    says who the tenant's active employees are); a removed one does not. In a tenant of its
    own (a few generated people), so that no other test's employees get vouchers."""
    plan, _ = load_into(platform.stack, 4, tenants=1, password=PASSWORD, with_demo=False)
    tenant = plan.generated_tenants[0]
    admin = platform.login(plan.staff_email(tenant, "admin"), tenant=tenant.slug)
    accounts = {}
    for name in ("newcomer", "leaver"):
        body = {
            "email": f"{name}@{tenant.slug}.test",
            "first_name": name.title(),
            "last_name": "Nouveau",
            "password": PASSWORD,
        }
        created = admin.post("/api/users", json=body)
        assert created.status_code == 201, created.text
        accounts[name] = created.json()["id"]
    assert admin.delete(f"/api/users/{accounts['leaver']}").status_code in (200, 202, 204)
    newcomer = platform.login(f"newcomer@{tenant.slug}.test", tenant=tenant.slug)
    assert newcomer.get("/api/subsidies/profile").json().get("children_count") in (None, 0)

    gift: dict[str, Any] = {"name": "Noël", "event": "christmas", "amount_cents": 4_000}
    preview = admin.post("/api/subsidies/campaigns/preview", json=gift)
    assert preview.status_code == 200, preview.text
    assert preview.json()["beneficiaries"] == 5  # the 4 generated people and the newcomer
    created = admin.post("/api/subsidies/campaigns", json=gift)
    assert created.status_code == 201, created.text
    assert created.json()["beneficiaries"] == 5
    vouchers = newcomer.get("/api/subsidies/vouchers").json()
    assert [(v["amount_cents"], v["remaining_cents"]) for v in vouchers] == [(4_000, 4_000)]
    year = created.json()["year"]
    people = {line["user_id"] for line in report(admin, year)}
    assert accounts["newcomer"] in people and accounts["leaver"] not in people
