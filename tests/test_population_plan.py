"""``make data``'s plan (bench/data/plan.py): the same people in every process, shaped like a
works council's employees, with records old enough for every retention rule to have work."""

from datetime import UTC, datetime, timedelta

import pytest

from bench.data.plan import ACTIVITY_CAP, TICKET_CAP, Plan
from bench.data.subsidies import iban
from proof import chaos
from support.config import Settings as SupportSettings

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def plan(subjects: int = 2000, prefix: str = "t1") -> Plan:
    return Plan(subjects=subjects, tenants=4, prefix=prefix, now=NOW)


def test_every_process_derives_the_same_person_and_runs_never_collide() -> None:
    a, b = plan().person(17), plan().person(17)
    assert (a.id, a.email, [o.id for o in a.orders], a.logins) == (
        b.id,
        b.email,
        [o.id for o in b.orders],
        b.logins,
    )
    other_run = plan(prefix="t2").person(17)
    assert other_run.id != a.id and other_run.email != a.email
    people = plan().people()
    assert len({p.id for p in people}) == len(people)
    assert len({o.id for p in people for o in p.orders}) == sum(len(p.orders) for p in people)


def test_tenants_demo_first_then_generated_ones_with_staff() -> None:
    p = plan()
    assert [t.slug for t in p.tenant_list] == ["demo", "t1-1", "t1-2", "t1-3"]
    assert [t.slug for t in p.generated_tenants] == ["t1-1", "t1-2", "t1-3"]
    alone = Plan(subjects=10, tenants=2, prefix="t3", now=NOW, with_demo=False)
    assert [t.slug for t in alone.tenant_list] == ["t3-0", "t3-1"]
    assert {alone.person(i).tenant.slug for i in range(10)} == {"t3-0", "t3-1"}


def test_three_years_of_an_employee_on_average() -> None:
    people = plan().people()
    n = len(people)
    logins = sum(len(p.logins) for p in people) / n
    assert 35 <= logins <= 60, logins
    orders_a_year = sum(len(o) for o in (p.orders for p in people)) / sum(
        p.span / 365 for p in people
    )
    assert 5 <= orders_a_year <= 7, orders_a_year
    assert all(1 <= len(o.lines) <= 3 for p in people for o in p.orders)
    assert 0.25 <= sum(1 for p in people if p.bookings) / n <= 0.42
    assert 0.15 <= sum(1 for p in people if p.tickets) / n <= 0.25
    assert 0.35 <= sum(1 for p in people if p.mandate) / n <= 0.45
    messages = [t.messages for p in people for t in p.tickets]
    assert 2.5 <= sum(messages) / len(messages) <= 3.5


def test_subsidies_keep_to_the_rules_caps() -> None:
    for p in plan().people():
        for year in {o.at.year for o in p.orders}:
            assert sum(o.subsidy_cents for o in p.orders if o.at.year == year) <= TICKET_CAP
        for year in {b.at.year for b in p.bookings}:
            assert sum(b.subsidy_cents for b in p.bookings if b.at.year == year) <= ACTIVITY_CAP
        if p.children < 2:
            assert not any(o.subsidy_cents for o in p.orders)


def test_records_are_old_enough_for_every_purge() -> None:
    people = plan().people()
    year_ago = NOW - timedelta(days=365)
    assert any(at < year_ago for p in people for at in p.logins), "connection log: one year"
    lapsed = [p.mandate for p in people if p.mandate and p.mandate[1] == "lapsed"]
    assert any(last and last < NOW - timedelta(days=365 + 31) for _, _, last in lapsed)
    assert any(at < year_ago for p in people for _, at in p.reads), "audit trail: 365 days"
    closed = [t.closed_at for p in people for t in p.tickets if t.closed_at]
    assert any(at < NOW - timedelta(days=730) for at in closed), "closed tickets: 730 days"
    assert all(p.joined <= NOW for p in people)


def test_ibans_have_a_valid_checksum() -> None:
    rng = plan().person(3).rng
    for _ in range(200):
        value = iban(rng)
        assert len(value) == 27 and value.startswith("FR")
        rearranged = value[4:] + value[:4]
        digits = "".join(str(int(c, 36)) for c in rearranged)
        assert int(digits) % 97 == 1


def test_the_chaos_suite_erases_people_every_service_holds_data_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever the draw, a tenth of the people the chaos suite erases have tickets support
    still holds, so its "rows erased" line always has rows to count."""
    monkeypatch.setattr(chaos, "PEOPLE", 150)
    monkeypatch.setattr(chaos, "REQUESTS", 30)
    kept_days = SupportSettings.model_fields["closed_ticket_retention_days"].default
    for run in range(20):
        plan = Plan(subjects=150, tenants=1, prefix=f"chaos{run}", now=NOW)
        people = chaos.erased_people(plan)
        assert len(people) == len(set(people)) == 30 and all(0 <= i < 150 for i in people)
        with_tickets = [i for i in people if plan.person(i).tickets_kept(kept_days)]
        assert len(with_tickets) >= 3, run
