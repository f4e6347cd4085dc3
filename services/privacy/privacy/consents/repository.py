"""Queries of consents, their history and unsubscribe links."""

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import By, Keyset, Page, Part, fetch
from privacy.consents.models import Consent, ConsentEvent, UnsubscribeToken

#: A person's consent history: in the order it happened.
OLDEST_FIRST = Keyset[ConsentEvent](
    "consent-history",
    (By(ConsentEvent.at, datetime), By(ConsentEvent.id, str)),
    key=lambda e: (e.at, e.id),
)


async def consents_of(db: AsyncSession, *, subject: str) -> dict[str, Consent]:
    rows = await db.scalars(select(Consent).where(Consent.subject == subject))
    return {c.purpose: c for c in rows.all()}


async def consent(db: AsyncSession, *, subject: str, purpose: str) -> Consent | None:
    return await db.get(Consent, (subject, purpose))


async def history(
    db: AsyncSession, *, subject: str, cursor: str | None, limit: int
) -> Page[ConsentEvent]:
    query = select(ConsentEvent).where(ConsentEvent.subject == subject)
    return await fetch(db, [Part(query, OLDEST_FIRST)], cursor=cursor, limit=limit)


async def token(db: AsyncSession, token_hash: str) -> UnsubscribeToken | None:
    """An unsubscribe link, locked (it is used once)."""
    return await db.get(UnsubscribeToken, token_hash, with_for_update=True)


async def consenting(db: AsyncSession, *, tenant_id: str, purpose: str) -> set[str]:
    """The tenant's people whose consent to ``purpose`` is active."""
    found = await db.scalars(
        select(Consent.subject).where(
            Consent.tenant_id == tenant_id, Consent.purpose == purpose, Consent.granted.is_(True)
        )
    )
    return set(found)


async def forget(db: AsyncSession, *, subject: str, key: str) -> None:
    """An erased person's consents and links go; their history stays under the keyed hash."""
    await db.execute(delete(Consent).where(Consent.subject == subject))
    await db.execute(delete(UnsubscribeToken).where(UnsubscribeToken.subject == subject))
    await db.execute(
        update(ConsentEvent)
        .where(ConsentEvent.subject == subject)
        .values(subject=None, subject_key=key)
    )
