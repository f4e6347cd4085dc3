"""The family quotient's queries; all carry the tenant."""

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from subsidies.quotients.models import (
    DeclarationStatus,
    QuotientDeclaration,
    QuotientDocument,
    QuotientSettings,
)

#: The admin's queue: the oldest declaration first.
OLDEST_FIRST = Keyset[QuotientDeclaration](
    "quotient-pending",
    (By(QuotientDeclaration.declared_at, datetime), By(QuotientDeclaration.id, str)),
    key=lambda d: (d.declared_at, d.id),
)


async def settings_of(db: AsyncSession, *, tenant_id: str) -> QuotientSettings | None:
    return await db.get(QuotientSettings, tenant_id)


async def last_declaration(
    db: AsyncSession, *, tenant_id: str, user_id: str
) -> QuotientDeclaration | None:
    query = (
        select(QuotientDeclaration)
        .where(QuotientDeclaration.tenant_id == tenant_id, QuotientDeclaration.user_id == user_id)
        .order_by(QuotientDeclaration.declared_at.desc(), QuotientDeclaration.id.desc())
    )
    return await db.scalar(query.limit(1))


async def valid_bracket(
    db: AsyncSession, *, tenant_id: str, user_id: str, now: datetime
) -> QuotientDeclaration | None:
    """The latest approved declaration whose tax year has not ended."""
    query = (
        select(QuotientDeclaration)
        .where(
            QuotientDeclaration.tenant_id == tenant_id,
            QuotientDeclaration.user_id == user_id,
            QuotientDeclaration.status == DeclarationStatus.APPROVED,
            QuotientDeclaration.ends_at > now,
        )
        .order_by(QuotientDeclaration.checked_at.desc())
    )
    return await db.scalar(query.limit(1))


async def pending_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> Page[QuotientDeclaration]:
    query = select(QuotientDeclaration).where(
        QuotientDeclaration.tenant_id == tenant_id,
        QuotientDeclaration.status == DeclarationStatus.PENDING,
    )
    return await fetch(db, [Part(query, OLDEST_FIRST)], cursor=cursor, limit=limit)


async def documents_of(db: AsyncSession, *, ids: list[str]) -> dict[str, QuotientDocument]:
    """The notices of a page of declarations, in one query."""
    found = await db.scalars(
        select(QuotientDocument).where(QuotientDocument.declaration_id.in_(ids))
    )
    return {doc.declaration_id: doc for doc in found}


async def declaration_in_tenant(
    db: AsyncSession, *, tenant_id: str, declaration_id: str, lock: bool = False
) -> QuotientDeclaration | None:
    query = select(QuotientDeclaration).where(
        QuotientDeclaration.id == declaration_id, QuotientDeclaration.tenant_id == tenant_id
    )
    if lock:
        query = query.with_for_update()
    return await db.scalar(query)


async def document_of(db: AsyncSession, *, declaration_id: str) -> QuotientDocument | None:
    return await db.get(QuotientDocument, declaration_id)


async def delete_document(db: AsyncSession, *, declaration_id: str) -> int:
    """The notice and the figures go: the row, not a column set to NULL."""
    result = await db.execute(
        delete(QuotientDocument).where(QuotientDocument.declaration_id == declaration_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def unchecked_since(
    db: AsyncSession, *, before: datetime, limit: int = 500
) -> list[QuotientDeclaration]:
    """Pending declarations sent before ``before`` still holding the bracket their figures
    gave (their notice is due to go, or went)."""
    query = (
        select(QuotientDeclaration)
        .where(
            QuotientDeclaration.status == DeclarationStatus.PENDING,
            QuotientDeclaration.declared_at <= before,
            QuotientDeclaration.proposed_bracket.is_not(None),
        )
        .limit(limit)
    )
    return list((await db.scalars(query)).all())


async def documents_not_under(
    db: AsyncSession, *, key_id: str, limit: int
) -> list[QuotientDocument]:
    """Pending notices with a field still sealed under another key than ``key_id``."""
    prefix = f"{key_id}:%"
    query = select(QuotientDocument).where(
        or_(QuotientDocument.content.not_like(prefix), QuotientDocument.figures.not_like(prefix))
    )
    return list((await db.scalars(query.limit(limit).with_for_update(skip_locked=True))).all())


async def blank_checker(db: AsyncSession, *, checker_id: str) -> int:
    """An erased administrator's id leaves the declarations they checked."""
    result = await db.execute(
        update(QuotientDeclaration)
        .where(QuotientDeclaration.checked_by == checker_id)
        .values(checked_by=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
