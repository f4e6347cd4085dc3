"""Every query of the orders; all carry the tenant, except the payment provider's lookup by
its reference."""

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from orders.base import subject_data
from orders.orders.models import Order

#: A person's orders, or the tenant's for its admin: the newest first.
NEWEST_ORDERS_FIRST = Keyset[Order](
    "orders",
    (By(Order.created_at, datetime, descending=True), By(Order.id, str)),
    key=lambda o: (o.created_at, o.id),
)


async def orders_page(
    db: AsyncSession, *, tenant_id: str, user_id: str | None, cursor: str | None, limit: int
) -> Page[Order]:
    """One page of the person's orders (``user_id``), or with None the whole tenant's, less
    the orders of people whose processing is restricted (Art. 18: kept, not shown to the
    admin), left out by the query so that a page holds ``limit`` orders. It used to be the
    newest 500, silently: an admin never saw the tenant's older orders."""
    query = select(Order).where(Order.tenant_id == tenant_id)
    if user_id is not None:
        query = query.where(Order.user_id == user_id)
    else:
        query = query.where(Order.user_id.not_in(select(subject_data.restrictions.c.subject)))
    return await fetch(db, [Part(query, NEWEST_ORDERS_FIRST)], cursor=cursor, limit=limit)


#: Statements an order's every step runs, built once with bound parameters: built again on
#: each call, a statement costs two thirds as much CPU again as running it (docs/performance.md).
_BY_REFERENCE = select(Order).where(Order.payment_reference == bindparam("reference"))
_IN_TENANT = select(Order).where(
    Order.id == bindparam("order_id"), Order.tenant_id == bindparam("tenant_id")
)


async def order_by_reference(db: AsyncSession, reference: str) -> Order | None:
    return await db.scalar(_BY_REFERENCE, {"reference": reference})


async def order_in_tenant(db: AsyncSession, *, tenant_id: str, order_id: str) -> Order | None:
    return await db.scalar(_IN_TENANT, {"order_id": order_id, "tenant_id": tenant_id})


async def order_by_id(db: AsyncSession, order_id: str, *, lock: bool = False) -> Order | None:
    """An order by its id alone (the worker's and the data-subject requests' lookups); ``lock``
    takes its row until the transaction ends."""
    return await db.get(Order, order_id, with_for_update=lock)
