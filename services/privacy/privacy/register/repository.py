"""Queries of the services' declarations."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import dialect_insert
from privacy.register.models import ServiceDeclaration


async def store_declarations(
    db: AsyncSession, *, service: str, inventory: list[dict[str, Any]], published_at: datetime
) -> None:
    """Keep what ``service`` declared, unless a later publication is stored already (two
    starts' events may arrive out of order)."""
    insert = dialect_insert(db)
    statement = insert(ServiceDeclaration).values(
        service=service, inventory=inventory, published_at=published_at
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=[ServiceDeclaration.service],
            set_={
                "inventory": statement.excluded.inventory,
                "published_at": statement.excluded.published_at,
            },
            where=ServiceDeclaration.published_at <= statement.excluded.published_at,
        )
    )


async def declarations(db: AsyncSession) -> Sequence[ServiceDeclaration]:
    """Every service's latest declarations, by service name."""
    return (await db.scalars(select(ServiceDeclaration).order_by(ServiceDeclaration.service))).all()


async def declarations_of(
    db: AsyncSession, services: Sequence[str]
) -> Sequence[ServiceDeclaration]:
    return (
        await db.scalars(select(ServiceDeclaration).where(ServiceDeclaration.service.in_(services)))
    ).all()


async def declared_services(db: AsyncSession) -> list[str]:
    return list(await db.scalars(select(ServiceDeclaration.service)))
