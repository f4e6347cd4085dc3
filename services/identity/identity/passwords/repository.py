"""The queries of the single-use links."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.passwords.models import AccountToken, LinkPurpose


async def expire_links(
    db: AsyncSession, *, user_id: str, purpose: LinkPurpose, now: datetime
) -> None:
    """Spend the account's unused links of this purpose."""
    await db.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )


async def spend_links_of(db: AsyncSession, user_ids: list[str], *, now: datetime) -> None:
    """Spend every unused link of these accounts in one statement (a chunk of an import)."""
    await db.execute(
        update(AccountToken)
        .where(AccountToken.user_id.in_(user_ids), AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


async def add_links(db: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Many links in one statement (an import's invitations)."""
    await db.execute(insert(AccountToken), rows)


async def recent_link(
    db: AsyncSession, *, user_id: str, purpose: LinkPurpose, since: datetime
) -> bool:
    found = await db.scalar(
        select(AccountToken.id).where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.created_at >= since,
        )
    )
    return found is not None


async def link_for_update(db: AsyncSession, *, token_hash: str) -> AccountToken | None:
    return await db.scalar(
        select(AccountToken).where(AccountToken.token_hash == token_hash).with_for_update()
    )


async def delete_dead_links(db: AsyncSession, *, before: datetime) -> int:
    result = await db.execute(delete(AccountToken).where(AccountToken.expires_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
