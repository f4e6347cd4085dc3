"""Users of the caller's tenant, managed by tenant admins: ``/api/users``."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from identity import repository, service
from identity.api import IdentityDep
from identity.models import User, subject_data
from identity.schemas import RemovalAccepted, UserCreate, UserPublic
from kit.auth import Principal, Role, require_roles
from kit.db import SessionDep
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from kit.privacy.audit import Auditor

router = APIRouter(prefix="/api/users", tags=["users"])
TenantAdmin = Annotated[Principal, Depends(require_roles(Role.TENANT_ADMIN, Role.PLATFORM_ADMIN))]


def public(user: User, tenant: str) -> UserPublic:
    return UserPublic(
        id=user.id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        tenant=tenant,
        roles=list(user.roles),
        two_factor=user.totp_secret is not None,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, admin: TenantAdmin, db: SessionDep, ctx: IdentityDep, audit: Auditor
) -> UserPublic:
    user = await service.create_user(db, ctx, principal=admin, data=body, now=service.utcnow())
    await audit.change([user.id], "account")
    return public(user, admin.tenant)


@router.get("", responses=PAGED_RESPONSES)
async def list_users(
    admin: TenantAdmin,
    db: SessionDep,
    audit: Auditor,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[UserPublic]:
    """The tenant's users, the newest accounts first; a person whose data is restricted
    (Art. 18) shows as an id only. One page: ``X-Next-Cursor`` holds the next one's cursor."""
    page = await repository.users_page(db, tenant_id=admin.tenant_id, cursor=cursor, limit=limit)
    users = page.items
    frozen = await subject_data.flagged(db, subject_data.restrictions, [u.id for u in users])
    await audit.read({u.id for u in users if u.id not in frozen}, "account")
    return page.map(
        lambda u: restricted(u, admin.tenant) if u.id in frozen else public(u, admin.tenant)
    ).send(response)


def restricted(user: User, tenant: str) -> UserPublic:
    return UserPublic(
        id=user.id, email="", first_name="", last_name="", tenant=tenant, roles=[], restricted=True
    )


@router.delete("/{user_id}", status_code=status.HTTP_202_ACCEPTED)
async def remove_user(
    user_id: str, admin: TenantAdmin, db: SessionDep, audit: Auditor
) -> RemovalAccepted:
    """The account stops at once (no sign-in, sessions ended); the person is then erased
    everywhere through an erasure request in the admin's name, which the DPO follows."""
    await service.remove_user(db, principal=admin, user_id=user_id, now=service.utcnow())
    await audit.change([user_id], "account")
    return RemovalAccepted()
