"""The queries of the directory sign-in: a tenant's provider, pending sign-ins, links."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from identity.oidc.models import OidcLink, OidcLogin, OidcProvider


async def provider_of(db: AsyncSession, tenant_id: str) -> OidcProvider | None:
    return await db.scalar(select(OidcProvider).where(OidcProvider.tenant_id == tenant_id))


async def delete_provider(db: AsyncSession, tenant_id: str) -> int:
    result = await db.execute(delete(OidcProvider).where(OidcProvider.tenant_id == tenant_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_links(db: AsyncSession, tenant_id: str) -> int:
    """Every link of the tenant's accounts (its provider was removed or replaced)."""
    result = await db.execute(delete(OidcLink).where(OidcLink.tenant_id == tenant_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def take_login(db: AsyncSession, *, state_hash: str) -> OidcLogin | None:
    """The pending sign-in of a state, locked (it is deleted in the same transaction: a state
    is used once, even by two callbacks at the same time)."""
    return await db.scalar(
        select(OidcLogin).where(OidcLogin.state_hash == state_hash).with_for_update()
    )


async def delete_dead_logins(db: AsyncSession, *, before: datetime) -> int:
    result = await db.execute(delete(OidcLogin).where(OidcLogin.expires_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def linked_user(
    db: AsyncSession, *, tenant_id: str, issuer: str, subject: str
) -> User | None:
    return await db.scalar(
        select(User)
        .join(OidcLink, OidcLink.user_id == User.id)
        .where(
            OidcLink.tenant_id == tenant_id,
            OidcLink.issuer == issuer,
            OidcLink.subject == subject,
        )
    )


async def link_of(db: AsyncSession, *, user_id: str, issuer: str) -> OidcLink | None:
    return await db.scalar(
        select(OidcLink).where(OidcLink.user_id == user_id, OidcLink.issuer == issuer)
    )
