"""Accounts: the tenant's users, managed by tenant admins (``/api/users``), the person's own
account (``/api/auth/me``), and what the orders and privacy services may ask (internal)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from identity.accounts import service
from identity.accounts.models import User
from identity.accounts.schemas import (
    Contact,
    Employees,
    Found,
    Lookup,
    RemovalAccepted,
    UserCreate,
    UserPublic,
)
from identity.context import ContextDep
from kit.auth import CurrentUser, Principal, Role, require_roles, service_caller
from kit.db import ReadSessionDep, SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from kit.privacy.audit import Audit, Auditor

router = APIRouter(prefix="/api/users", tags=["users"])
auth_router = APIRouter(prefix="/api/auth", tags=["auth"])
#: For the other services only; Nginx never exposes these.
internal_router = APIRouter(tags=["internal"])
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
        employee_number=user.employee_number,
    )


def restricted(user: User, tenant: str) -> UserPublic:
    return UserPublic(
        id=user.id, email="", first_name="", last_name="", tenant=tenant, roles=[], restricted=True
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, admin: TenantAdmin, db: SessionDep, ctx: ContextDep, audit: Auditor
) -> UserPublic:
    user = await service.create_user(db, ctx, principal=admin, data=body, now=utcnow())
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
    page, frozen = await service.users_page(
        db, tenant_id=admin.tenant_id, cursor=cursor, limit=limit
    )
    await audit.read({u.id for u in page.items if u.id not in frozen}, "account")
    return page.map(
        lambda u: restricted(u, admin.tenant) if u.id in frozen else public(u, admin.tenant)
    ).send(response)


@router.delete("/{user_id}", status_code=status.HTTP_202_ACCEPTED)
async def remove_user(
    user_id: str, admin: TenantAdmin, db: SessionDep, audit: Auditor
) -> RemovalAccepted:
    """The account stops at once (no sign-in, sessions ended); the person is then erased
    everywhere through an erasure request in the admin's name, which the DPO follows."""
    await service.remove_user(db, principal=admin, user_id=user_id, now=utcnow())
    await audit.change([user_id], "account")
    return RemovalAccepted()


@auth_router.get("/me")
async def me(principal: CurrentUser, db: ReadSessionDep) -> UserPublic:
    user = await service.current_user(db, principal=principal)
    return public(user, principal.tenant)


@internal_router.post("/internal/users/lookup")
async def lookup(
    body: Lookup,
    dpo: Annotated[Principal, Depends(service_caller("privacy", roles=[Role.DPO]))],
    db: SessionDep,
    request: Request,
) -> Found:
    """For the privacy service, on behalf of a DPO filing a request received by email or post:
    the account id of an email in the DPO's tenant. Called by privacy for the DPO only."""
    found = await service.account_id(db, tenant_id=dpo.tenant_id, email=body.email)
    audit = Audit(db, request.app.state.events, dpo, "POST /internal/users/lookup")
    await audit.read([found], "account id")
    return Found(id=found)


@internal_router.get("/internal/users/contact")
async def contact(
    buyer: Annotated[Principal, Depends(service_caller("orders"))], db: ReadSessionDep
) -> Contact:
    """For the orders service, on behalf of a buyer: their own email, for the order's mails."""
    return Contact(email=await service.contact(db, principal=buyer))


@internal_router.get("/internal/users/employees")
async def employees(
    admin: Annotated[Principal, Depends(service_caller("subsidies", roles=[Role.TENANT_ADMIN]))],
    db: SessionDep,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> Employees:
    """For the subsidies service, on behalf of a tenant admin creating a gift campaign: the ids
    of the tenant's active employees (every one is a beneficiary of a campaign with no
    condition, profile or not), a page at a time."""
    ids, after_this = await service.employee_ids(db, principal=admin, after=after)
    return Employees(ids=ids, next=after_this)
