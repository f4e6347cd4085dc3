"""Queries of consents, their history and unsubscribe links."""

from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kit.pagination import By, Keyset, Page, Part, fetch
from privacy.base import subject_data
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


async def delete_spent_proofs(db: AsyncSession, *, ended_before: datetime) -> int:
    """Delete the consent events whose proof period is over: each choice stops being in force
    at the person's next choice for the same purpose (or, for a withdrawal with no later
    choice, at the withdrawal itself), and is kept until ``ended_before`` after that. An
    erased person's events are matched by their keyed hash."""
    later = aliased(ConsentEvent)
    same_person = func.coalesce(later.subject, later.subject_key) == func.coalesce(
        ConsentEvent.subject, ConsentEvent.subject_key
    )
    superseded_long_ago = select(later.id).where(
        same_person,
        later.purpose == ConsentEvent.purpose,
        later.tenant_id == ConsentEvent.tenant_id,
        or_(
            later.at > ConsentEvent.at,
            and_(later.at == ConsentEvent.at, later.id > ConsentEvent.id),
        ),
    )
    ended = superseded_long_ago.where(later.at <= ended_before).exists()
    last = ~superseded_long_ago.exists()
    withdrawn_long_ago = and_(
        last, ConsentEvent.granted.is_(False), ConsentEvent.at <= ended_before
    )
    # Art. 18(1)(c): a restricted person's proofs stay until the restriction is lifted.
    restricted = select(subject_data.restrictions.c.subject)
    unrestricted = or_(ConsentEvent.subject.is_(None), ConsentEvent.subject.not_in(restricted))
    spent = select(ConsentEvent.id).where(or_(ended, withdrawn_long_ago), unrestricted)
    ids = list(await db.scalars(spent))
    if ids:
        await db.execute(delete(ConsentEvent).where(ConsentEvent.id.in_(ids)))
    return len(ids)
