"""Queries of the list of erased people."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from privacy.erasures.models import Forgotten


async def is_forgotten(db: AsyncSession, key: str) -> bool:
    return await db.get(Forgotten, key) is not None


async def forgotten_keys(db: AsyncSession) -> set[str]:
    return set((await db.scalars(select(Forgotten.subject_key))).all())
