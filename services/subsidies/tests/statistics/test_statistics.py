"""k-anonymous statistics: no group of fewer than k people, restricted people left out."""

import random

from kit.db import Database
from services.subsidies.tests.factories import (
    NOW,
    add_cinema_rule,
    make_admin,
    make_person,
    order_grant,
)
from subsidies.grants.models import OrderEvent
from subsidies.grants.service import on_order
from subsidies.models import subject_data
from subsidies.profiles.service import set_profile
from subsidies.statistics.schemas import GroupBy
from subsidies.statistics.service import k_anonymous, statistics


def test_statistics_never_single_anyone_out() -> None:
    """Whatever the data, every shown group has at least k people, every use is shown once,
    and with fewer than k people in all nothing is shown."""
    rng = random.Random(7)
    k = 5
    for _ in range(500):
        labels = [f"g{i}" for i in range(rng.randint(1, 6))]
        people = [f"p{i}" for i in range(rng.randint(0, 30))]
        groups: dict[str, list[tuple[str, int]]] = {}
        for who in people:
            for _ in range(rng.randint(1, 3)):
                groups.setdefault(rng.choice(labels), []).append((who, rng.randint(1, 500)))
        cells, merged = k_anonymous(groups, k)
        assert all(cell.people >= k for cell in cells)
        everyone = {p for uses in groups.values() for p, _ in uses}
        if len(everyone) < k:
            assert cells == []
            continue
        # Enough people in all: something is shown, and every use exactly once (in its own
        # group or in "other"); a function that hides everything, or drops a small group
        # instead of merging it, fails here.
        assert cells, groups
        assert sum(c.uses for c in cells) == sum(len(u) for u in groups.values())
        amounts = sum(a for uses in groups.values() for _, a in uses)
        assert sum(c.amount_cents for c in cells) == amounts
        shown = {c.label for c in cells} - {"other"}
        assert shown <= set(groups) and len(shown) + merged == len(groups)
        for cell in cells:
            if cell.label != "other":  # a group shown on its own is shown whole
                assert cell.people == len({p for p, _ in groups[cell.label]})


def test_a_small_group_is_merged_not_shown() -> None:
    groups = {
        "ticket": [(f"p{i}", 300) for i in range(8)],
        "activity": [("lonely", 2000)],
    }
    cells, merged = k_anonymous(groups, 5)
    assert [c.label for c in cells] == ["other"] and merged == 2
    assert cells[0].people == 9


async def test_statistics_leave_out_restricted_people(database: Database) -> None:
    await add_cinema_rule(database, budget=1_000_000)
    for i in range(6):
        async with database.transaction() as db:
            await set_profile(db, principal=make_person(f"p{i}"), children_count=2, now=NOW)
        await order_grant(database, f"p{i}", f"o{i}")
        async with database.transaction() as db:
            await on_order(db, event_type=OrderEvent.PLACED, order_id=f"o{i}")
    admin = make_admin()
    async with database.transaction() as db:
        cells, _ = await statistics(db, principal=admin, by=GroupBy.KIND, year=NOW.year, k=5)
        assert [(c.label, c.people) for c in cells] == [("ticket", 6)]
        await subject_data.restrict(db, "p0", request_id="r-1", now=NOW)
        await subject_data.restrict(db, "p1", request_id="r-2", now=NOW)
        cells, _ = await statistics(db, principal=admin, by=GroupBy.KIND, year=NOW.year, k=5)
    assert cells == []  # four people left: fewer than k, nothing shown
