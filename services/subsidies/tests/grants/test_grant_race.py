"""Grants at the same time, on the machine's PostgreSQL (SQLite has no row locks): the budget
is never overspent, a person's cap never passed, and one person's grant does not wait for
another's planning: only the reservation, last, takes the tenant's rows (grants.service)."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kit.db import Database
from services.subsidies.tests.campaigns.test_voucher_race import pg  # noqa: F401 (fixture)
from services.subsidies.tests.factories import NOW, TENANT, add_cinema_rule, make_person
from subsidies.budgets.models import Budget
from subsidies.grants import service
from subsidies.grants.models import Grant, GrantStatus
from subsidies.profiles.service import set_profile
from subsidies.rules.models import OfferKind

pytestmark = pytest.mark.integration


async def _people(database: Database, *users: str) -> None:
    async with database.transaction() as db:
        for user in users:
            await set_profile(db, principal=make_person(user), children_count=3, now=NOW)


def _ticket() -> list[service.LineIn]:
    return [service.LineIn(OfferKind.TICKET, 1, 750)]  # the cinema rule: 300 a ticket


async def _grant(database: Database, user: str, order: str, hold: float = 0.2) -> int:
    """One order's grant in a transaction that stays open ``hold`` seconds after it."""
    async with database.transaction() as db:
        total = await service.settle(
            db,
            await service.plan(
                db,
                tenant_id=TENANT,
                user_id=user,
                lines=_ticket(),
                now=NOW,
                status=GrantStatus.HELD,
                hold_until=NOW + timedelta(minutes=15),
                order_id=order,
            ),
        )
        await asyncio.sleep(hold)
        return total


async def _books(database: Database) -> tuple[int, int]:
    async with database.transaction() as db:
        reserved = int(await db.scalar(select(Budget.reserved_cents)) or 0)
        granted = int((await db.scalar(select(func.sum(Grant.amount_cents)))) or 0)
    return reserved, granted


async def test_six_people_at_once_spend_the_budget_exactly(pg: Database) -> None:  # noqa: F811
    await add_cinema_rule(pg, budget=1000)
    users = [f"p{i}" for i in range(6)]
    await _people(pg, *users)
    totals = await asyncio.gather(*(_grant(pg, u, f"o-{u}") for u in users))
    # Each planned 300 against 1,000 left; the fourth found the budget taken meanwhile and
    # planned again under the row's lock: 100; the last two found nothing left.
    assert sorted(totals) == [0, 0, 100, 300, 300, 300]
    assert await _books(pg) == (1000, 1000)


async def test_one_persons_orders_at_once_stay_within_their_cap(pg: Database) -> None:  # noqa: F811
    await add_cinema_rule(pg, cap=500)
    await _people(pg, "a")
    totals = await asyncio.gather(*(_grant(pg, "a", f"o-{n}") for n in range(3)))
    assert sorted(totals) == [0, 200, 300]
    assert await _books(pg) == (500, 500)


async def test_a_grant_does_not_wait_for_another_persons_open_transaction(
    pg: Database,  # noqa: F811
) -> None:
    """A has planned its grant and keeps its transaction open; B plans and settles its own
    meanwhile (before, A's lock on the budget row, taken first, made B wait for A's commit)."""
    await add_cinema_rule(pg)
    await _people(pg, "a", "b")
    planned = asyncio.Event()
    b_done = asyncio.Event()

    async def first() -> int:
        async with pg.transaction() as db:
            pending = await service.plan(
                db, tenant_id=TENANT, user_id="a", lines=_ticket(), now=NOW,
                status=GrantStatus.HELD, order_id="o-a",
            )  # fmt: skip
            planned.set()
            await asyncio.wait_for(b_done.wait(), timeout=10)  # B went through meanwhile
            return await service.settle(db, pending)

    async def second() -> int:
        await planned.wait()
        total = await asyncio.wait_for(_grant(pg, "b", "o-b", hold=0), timeout=10)
        b_done.set()
        return total

    assert list(await asyncio.gather(first(), second())) == [300, 300]
    assert await _books(pg) == (600, 600)
