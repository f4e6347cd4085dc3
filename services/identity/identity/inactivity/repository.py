"""The inactivity job's queries: who is due a warning, who is due an erasure, and the tenants'
admins. A person whose data is restricted (Art. 18) is never among them."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from identity.base import subject_data
from kit.auth import Role


def _last_activity() -> ColumnElement[datetime]:
    return func.coalesce(User.last_login_at, User.created_at)


def _not_restricted() -> ColumnElement[bool]:
    return User.id.not_in(select(subject_data.restrictions.c.subject))


async def due_warning(db: AsyncSession, *, inactive_since: datetime, limit: int) -> Sequence[User]:
    """Active accounts without activity since ``inactive_since`` and not warned yet, oldest
    first, locked (another run skips them)."""
    users = await db.scalars(
        select(User)
        .where(
            User.is_active.is_(True),
            User.inactivity_warned_at.is_(None),
            _last_activity() < inactive_since,
            _not_restricted(),
        )
        .order_by(_last_activity())
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return users.all()


async def due_erasure(db: AsyncSession, *, warned_before: datetime) -> list[User]:
    """Active accounts warned before ``warned_before`` that did not log in since, locked."""
    users = await db.scalars(
        select(User)
        .where(
            User.is_active.is_(True),
            User.inactivity_warned_at.is_not(None),
            User.inactivity_warned_at <= warned_before,
            # A login clears the warning; should it not have, a later login still counts.
            or_(User.last_login_at.is_(None), User.last_login_at < User.inactivity_warned_at),
            _not_restricted(),
        )
        .order_by(User.inactivity_warned_at)
        .with_for_update(skip_locked=True)
    )
    return list(users)


async def admins_by_tenant(db: AsyncSession, tenant_ids: set[str]) -> dict[str, set[str]]:
    """The active tenant admins of these tenants."""
    rows = await db.execute(
        select(User.id, User.tenant_id, User.roles).where(
            User.tenant_id.in_(sorted(tenant_ids)), User.is_active.is_(True)
        )
    )
    admins: dict[str, set[str]] = defaultdict(set)
    for user_id, tenant_id, roles in rows:
        if Role.TENANT_ADMIN.value in roles:
            admins[tenant_id].add(user_id)
    return admins
