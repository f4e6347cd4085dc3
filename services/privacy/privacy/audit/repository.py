"""Queries of the audit trail."""

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from privacy.audit.models import AuditEntry

#: The access log: the latest first.
LATEST_ACCESS_FIRST = Keyset[AuditEntry](
    "access-log",
    (By(AuditEntry.at, datetime, descending=True), By(AuditEntry.id, str)),
    key=lambda e: (e.at, e.id),
)


async def audit_page(
    db: AsyncSession, *, subject: str, cursor: str | None, limit: int
) -> Page[AuditEntry]:
    """The person's access log, every entry reachable (it used to stop at the latest 1,000)."""
    query = select(AuditEntry).where(AuditEntry.subject == subject)
    return await fetch(db, [Part(query, LATEST_ACCESS_FIRST)], cursor=cursor, limit=limit)


async def delete_audit_before(db: AsyncSession, *, before: datetime) -> int:
    result = await db.execute(delete(AuditEntry).where(AuditEntry.at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def forget(db: AsyncSession, *, subject: str, key: str) -> None:
    """The erased person's entries stay, under the keyed hash."""
    await db.execute(
        update(AuditEntry)
        .where(AuditEntry.subject == subject)
        .values(subject=None, subject_key=key)
    )
