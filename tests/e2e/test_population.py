"""``make data``'s population on the real platform (issue 16 part 1): what the generator
writes in each service is what that service serves, exports and erases.

300 people over two generated tenants (``demo`` is left as it is), with the known password;
then, through the gateway, a generated employee logs in, sees their orders, and their access
archive holds exactly the rows the plan gave them in every service; the generated DPO (second
step with the demo TOTP secret) erases another one and every service reports erased rows."""

import io
import json
import zipfile
from typing import Any

import pytest

from bench.data.__main__ import load_into
from bench.data.plan import Person, Plan
from tests.e2e.conftest import PASSWORD, Platform
from tests.e2e.test_privacy import wait_done

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def population(platform: Platform) -> tuple[Plan, dict[str, Any]]:
    return load_into(platform.stack, 300, tenants=2, password=PASSWORD, with_demo=False)


def someone(plan: Plan, skip: int = 0) -> Person:
    """A person every service holds data on: orders, tickets, a mandate, consents; those with
    activity bookings first. Bookings are not required: with them too, 8 of 300 trial plans of
    300 people held fewer than the two the tests need (5.9 on average); without, 17.4 on
    average and never fewer than 9."""
    found = [
        p for p in plan.people() if p.orders and p.tickets_kept(730) and p.mandate and p.consents
    ]
    found.sort(key=lambda p: not p.bookings)  # stable: the plan's order within each group
    assert len(found) > skip, f"the plan holds {len(found)} such people"
    return found[skip]


def test_every_service_got_its_share(population: tuple[Plan, dict[str, Any]]) -> None:
    plan, loaded = population
    rows = {service: report["rows"] for service, report in loaded["services"].items()}
    people = plan.people()
    assert rows["identity"]["users"] == 300 + 3 * 2  # the people, and each tenant's staff
    assert rows["identity"]["login_events"] == sum(len(p.logins) for p in people) > 300 * 30
    assert rows["orders"]["orders"] == sum(len(p.orders) for p in people) > 300 * 5
    paid = sum(1 for p in people for o in p.orders if o.paid)
    assert rows["orders"]["invoices"] == paid
    assert rows["subsidies"]["profiles"] == 300
    assert rows["subsidies"]["mandates"] == sum(1 for p in people if p.mandate) > 60
    assert rows["support"]["tickets"] == sum(len(p.tickets) for p in people) > 30
    assert rows["privacy"]["consent_events"] == sum(
        len(events) for p in people for _, events in p.consents
    )
    assert rows["privacy"]["data_map"] == sum(len(p.services) for p in people)


def test_a_generated_employee_signs_in_and_exports_what_the_plan_gave_them(
    platform: Platform, population: tuple[Plan, dict[str, Any]]
) -> None:
    plan, _ = population
    person = someone(plan)
    me = platform.login(person.email, tenant=person.tenant.slug)
    listed = me.get("/api/orders", params={"limit": 100})
    assert len(listed.json()) == min(100, len(person.orders))
    filed = me.post("/api/privacy/requests", json={"type": "access"})
    assert filed.status_code == 202, filed.text
    assert wait_done(me, filed.json()["id"], timeout=60)["status"] == "completed"
    archive = me.get(f"/api/privacy/requests/{filed.json()['id']}/archive")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        data = {
            name[:-5]: json.loads(z.read(name)) for name in z.namelist() if name.endswith(".json")
        }
    # Each count as planned, or as planned less what a retention job purged meanwhile (the
    # jobs run on their schedule: the log keeps a year, closed tickets 730 days).
    logins = len(data["identity"]["login_events"]) - 1  # this login is in it too
    assert logins in (len(person.logins), len(person.logins_kept()))
    assert len(data["orders"]["orders"]) == len(person.orders)
    assert len(data["orders"]["invoices"]) == sum(1 for o in person.orders if o.paid)
    assert len(data["subsidies"]["bookings"]) == len(person.bookings)
    mandate = data["subsidies"]["mandates"][0]
    assert mandate["iban"].startswith("FR") and mandate["holder"] == (
        f"{person.first_name} {person.last_name}"
    ), "the mandate opens with subsidies' own key"
    tickets = [person.tickets, person.tickets_kept(730)]
    assert len(data["support"]["tickets"]) in [len(t) for t in tickets]
    assert len(data["support"]["ticket_messages"]) in [sum(x.messages for x in t) for t in tickets]
    assert len(data["privacy"]["consent_events"]) == sum(len(e) for _, e in person.consents)


def test_the_generated_dpo_erases_a_person_in_every_service(
    platform: Platform, population: tuple[Plan, dict[str, Any]]
) -> None:
    plan, _ = population
    person = someone(plan, skip=1)
    dpo = platform.login(plan.staff_email(person.tenant, "dpo"), tenant=person.tenant.slug)
    body = {
        "type": "erasure",
        "email": person.email,
        "channel": "email",
        "identity_check": "signed letter",
        "verify_by_code": False,
    }
    filed = dpo.post("/api/privacy/requests/on-behalf", json=body)
    assert filed.status_code == 202, filed.text
    done = wait_done(dpo, filed.json()["id"], timeout=60)
    assert done["status"] == "completed"
    erased = {
        service: sum(t["erased_rows"] for t in actions["erase"]["tables"])
        for service, actions in done["report"].items()
        if "erase" in actions
    }
    assert erased["identity"] >= 1 + len(person.logins_kept())
    assert erased["orders"] >= len(person.orders)
    assert erased["subsidies"] >= 1 + len(person.bookings)
    assert erased["support"] >= len(person.tickets_kept(730))
    assert platform.client().post(
        "/api/auth/login",
        json={"tenant": person.tenant.slug, "email": person.email, "password": PASSWORD},
    ).status_code in (401, 403)
