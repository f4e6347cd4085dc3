"""Placing an order asks identity for the buyer's contact while it reads the prices and
subsidies reserve the grants: the two calls overlap instead of following each other (under
``make load`` the placement was the slowest route, each call waiting its turn on a busy core
of its peer: docs/performance.md). Whatever fails, nothing is left running and the error is
the one the service raises."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from kit.db import Database
from kit.errors import NotFound, Unavailable
from orders.orders.models import Order
from orders.orders.schemas import OrderCreate
from orders.orders.service import place_order
from services.orders.tests.factories import make_offer, make_principal

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
#: Long enough for a slow machine, short enough that the sequential code fails fast.
PATIENCE = 5.0


class Identity:
    """Answers the buyer's contact once subsidies have been asked (``reserving``): a
    placement that waited for the contact before calling subsidies would never get it."""

    def __init__(self, reserving: asyncio.Event) -> None:
        self.reserving = reserving
        self.asked = 0
        self.cancelled = False

    async def contact(self) -> str:
        self.asked += 1
        try:
            await asyncio.wait_for(self.reserving.wait(), PATIENCE)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        except TimeoutError:
            raise AssertionError("the contact was awaited before subsidies were called") from None
        return "buyer@demo.test"


class Subsidies:
    def __init__(self, reserving: asyncio.Event, *, fails: bool = False) -> None:
        self.reserving = reserving
        self.fails = fails

    async def reserve(self, order_id: str, lines: list[dict[str, Any]]) -> int:
        self.reserving.set()
        await asyncio.sleep(0)  # the contact's call runs meanwhile
        if self.fails:
            raise Unavailable("the subsidies service cannot answer right now")
        return 0


async def place(
    database: Database,
    offer_id: str,
    identity: Identity,
    subsidies: Subsidies,
    email: str | None = None,
) -> Order:
    async with database.transaction() as db:
        return await place_order(
            db,
            principal=make_principal("u-1"),
            data=OrderCreate.model_validate(
                {"items": [{"offer_id": offer_id, "quantity": 1}], "email": email}
            ),
            now=NOW,
            identity=identity,  # type: ignore[arg-type]
            subsidies=subsidies,  # type: ignore[arg-type]
        )


async def an_offer(database: Database) -> str:
    async with database.transaction() as db:
        offer = make_offer()
        db.add(offer)
    return offer.id


async def orders_in(database: Database) -> int:
    async with database.transaction() as db:
        return int(await db.scalar(select(func.count()).select_from(Order)) or 0)


async def test_the_contact_and_the_reservation_are_asked_at_once(database: Database) -> None:
    offer_id = await an_offer(database)
    reserving = asyncio.Event()
    identity = Identity(reserving)
    order = await place(database, offer_id, identity, Subsidies(reserving))
    assert (identity.asked, order.email) == (1, "buyer@demo.test")
    assert await orders_in(database) == 1


async def test_an_email_given_asks_identity_nothing(database: Database) -> None:
    offer_id = await an_offer(database)
    reserving = asyncio.Event()
    identity = Identity(reserving)
    order = await place(database, offer_id, identity, Subsidies(reserving), "gift@demo.test")
    assert (identity.asked, order.email) == (0, "gift@demo.test")


async def test_a_failed_reservation_stops_the_contact_call_and_places_nothing(
    database: Database,
) -> None:
    offer_id = await an_offer(database)
    reserving = asyncio.Event()
    identity = Identity(asyncio.Event())  # never answers by itself
    with pytest.raises(Unavailable):  # the service's own error, not an exception group
        await place(database, offer_id, identity, Subsidies(reserving, fails=True))
    await asyncio.sleep(0)
    assert identity.asked == 1 and identity.cancelled
    assert await orders_in(database) == 0


async def test_an_unknown_offer_stops_the_contact_call_too(database: Database) -> None:
    identity = Identity(asyncio.Event())
    with pytest.raises(NotFound):
        await place(
            database, "6c9c2a11-e632-4b6d-a14d-f74b89ebc5ce", identity, Subsidies(asyncio.Event())
        )
    await asyncio.sleep(0)
    assert identity.cancelled


async def test_a_failed_contact_call_is_the_error_and_nothing_is_left_unretrieved(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    offer_id = await an_offer(database)

    class Unreachable(Identity):
        async def contact(self) -> str:
            self.asked += 1
            raise Unavailable("the identity service cannot answer right now")

    identity = Unreachable(asyncio.Event())
    with pytest.raises(Unavailable):
        await place(database, offer_id, identity, Subsidies(asyncio.Event()))
    await asyncio.sleep(0)
    assert identity.asked == 1 and await orders_in(database) == 0
    assert "never retrieved" not in caplog.text
