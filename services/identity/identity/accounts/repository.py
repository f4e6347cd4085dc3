"""The accounts' queries. They always carry the tenant, but for the event worker's, whose
commands name the person by id (ids are unique)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, String, bindparam, cast, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from kit.pagination import By, Keyset, Page, Part, fetch


async def user_by_email(db: AsyncSession, *, tenant_id: str, email: str) -> User | None:
    return await db.scalar(select(User).where(User.tenant_id == tenant_id, User.email == email))


async def user_by_employee_number(
    db: AsyncSession, *, tenant_id: str, employee_number: str
) -> User | None:
    return await db.scalar(
        select(User).where(User.tenant_id == tenant_id, User.employee_number == employee_number)
    )


#: An account in its tenant (every order asks for the buyer's contact): built once with bound
#: parameters, as every statement a frequent operation runs (docs/performance.md).
_USER_IN_TENANT = select(User).where(
    User.tenant_id == bindparam("tenant_id"), User.id == bindparam("user_id")
)


async def user_by_id(db: AsyncSession, *, tenant_id: str, user_id: str) -> User | None:
    return await db.scalar(_USER_IN_TENANT, {"tenant_id": tenant_id, "user_id": user_id})


async def user_by_id_any_tenant(db: AsyncSession, user_id: str) -> User | None:
    """For the event worker, whose commands name the person by id (ids are unique)."""
    return await db.get(User, user_id)


#: The tenant's accounts, the newest first (a new account or an import's people on the first
#: page). Not by email: a cursor carries the last item's sort key in the next page's URL, and
#: an email address must never be in a URL.
NEWEST_USERS_FIRST = Keyset[User](
    "users",
    (By(User.created_at, datetime, descending=True), By(User.id, str)),
    key=lambda u: (u.created_at, u.id),
)


async def users_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[User]:
    """One page of the tenant's accounts, paged by keyset (``kit.pagination``)."""
    query = select(User).where(User.tenant_id == tenant_id)
    return await fetch(db, [Part(query, NEWEST_USERS_FIRST)], cursor=cursor, limit=limit)


async def deactivate(db: AsyncSession, *, user_id: str) -> bool:
    result = await db.execute(update(User).where(User.id == user_id).values(is_active=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def users_by_id(
    db: AsyncSession, *, tenant_id: str, ids: list[str], deactivated_too: bool = False
) -> Sequence[User]:
    """The tenant's accounts among ``ids``: the active ones, or every one still held."""
    query = select(User).where(User.tenant_id == tenant_id, User.id.in_(ids))
    if not deactivated_too:
        query = query.where(User.is_active.is_(True))
    return (await db.scalars(query)).all()


def _active_with_role(tenant_id: str, role: str) -> list[ColumnElement[bool]]:
    """The tenant's active accounts that may hold ``role``: found through the roles' JSON text
    on SQLite and PostgreSQL alike; the caller checks each row's roles exactly."""
    return [
        User.tenant_id == tenant_id,
        User.is_active.is_(True),
        cast(User.roles, String).like(f'%"{role}"%'),
    ]


async def active_users_with_role(db: AsyncSession, *, tenant_id: str, role: str) -> list[User]:
    """The tenant's active accounts holding ``role`` (its admins, its DPO): few people."""
    query = select(User).where(*_active_with_role(tenant_id, role))
    return [u for u in (await db.scalars(query)).all() if role in u.roles]


async def active_employee_ids(
    db: AsyncSession, *, tenant_id: str, after: str | None, limit: int
) -> tuple[list[str], str | None]:
    """One page of the ids of the tenant's active employees, by id (for subsidies' gift
    campaigns), and the id to continue after, or None on the last page. Ids only: no name,
    no email."""
    query = (
        select(User.id, User.roles)
        .where(*_active_with_role(tenant_id, "employee"))
        .order_by(User.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(User.id > after)
    rows = (await db.execute(query)).all()
    ids = [user_id for user_id, roles in rows if "employee" in roles]
    return ids, (rows[-1][0] if len(rows) == limit else None)
