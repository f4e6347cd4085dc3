"""Grants within caps and budget, and releases."""

from datetime import timedelta

from sqlalchemy import select

from kit.db import Database
from services.subsidies.tests.factories import NOW, add_cinema_rule, make_person, order_grant
from subsidies.budgets.models import Budget
from subsidies.grants import service
from subsidies.grants.models import OrderEvent
from subsidies.jobs import release_expired_holds
from subsidies.profiles.service import set_profile


async def reserved(database: Database) -> int:
    async with database.transaction() as db:
        return int(await db.scalar(select(Budget.reserved_cents)) or 0)


async def test_the_rule_needs_its_condition_and_is_capped(database: Database) -> None:
    await add_cinema_rule(database, cap=1000)
    assert await order_grant(database, "u-1", "o-0") == 0  # no profile: 0 children
    async with database.transaction() as db:
        await set_profile(db, principal=make_person(), children_count=2, now=NOW)
    assert await order_grant(database, "u-1", "o-1", quantity=2) == 600
    assert await order_grant(database, "u-1", "o-1", quantity=2) == 600  # asked again: same
    assert await order_grant(database, "u-1", "o-2", quantity=3) == 400  # the cap's rest
    assert await order_grant(database, "u-1", "o-3") == 0
    assert await reserved(database) == 1000


async def test_the_budget_is_never_overspent(database: Database) -> None:
    await add_cinema_rule(database, budget=1000)
    for user in ("a", "b", "c", "d"):
        async with database.transaction() as db:
            await set_profile(db, principal=make_person(user), children_count=3, now=NOW)
    granted = [await order_grant(database, user, f"o-{user}") for user in ("a", "b", "c", "d")]
    assert granted == [300, 300, 300, 100]
    assert await reserved(database) == 1000


async def test_cancelled_orders_and_expired_holds_give_the_budget_back(
    database: Database,
) -> None:
    await add_cinema_rule(database)
    async with database.transaction() as db:
        await set_profile(db, principal=make_person(), children_count=2, now=NOW)
    await order_grant(database, "u-1", "o-1")
    await order_grant(database, "u-1", "o-2")
    assert await reserved(database) == 600
    async with database.transaction() as db:
        await service.on_order(db, event_type=OrderEvent.PLACED, order_id="o-1")
        await service.on_order(db, event_type=OrderEvent.CANCELLED, order_id="o-1")
        await service.on_order(db, event_type=OrderEvent.CANCELLED, order_id="o-1")  # twice
    assert await reserved(database) == 300
    async with database.transaction() as db:
        assert await release_expired_holds(db, NOW + timedelta(minutes=14)) == 0
        assert await release_expired_holds(db, NOW + timedelta(minutes=16)) == 1
    assert await reserved(database) == 0
