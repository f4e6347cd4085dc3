"""The yearly budget cannot drop below what is already granted."""

import pytest
from sqlalchemy import select

from kit.db import Database
from kit.errors import Conflict
from services.subsidies.tests.factories import (
    NOW,
    add_cinema_rule,
    make_admin,
    make_person,
    order_grant,
)
from subsidies.budgets.service import set_budget
from subsidies.grants.models import Grant
from subsidies.profiles.service import set_profile


async def test_budget_cannot_drop_below_what_is_granted(database: Database) -> None:
    await add_cinema_rule(database)
    async with database.transaction() as db:
        await set_profile(db, principal=make_person(), children_count=2, now=NOW)
    await order_grant(database, "u-1", "o-1")
    async with database.transaction() as db:
        with pytest.raises(Conflict):
            await set_budget(db, principal=make_admin(), year=NOW.year, amount_cents=100)
    async with database.transaction() as db:
        grants = (await db.scalars(select(Grant))).all()
    assert [g.amount_cents for g in grants] == [300]
