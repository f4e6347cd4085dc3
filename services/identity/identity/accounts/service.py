"""Accounts: an admin creates, lists and removes the tenant's accounts; the person's own
account; the mails that tell a person their credentials changed. No HTTP here."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts import repository
from identity.accounts.models import User
from identity.accounts.schemas import UserCreate
from identity.base import Event, SecurityEvent, events, subject_data
from identity.context import Context
from identity.passwords.hashing import check_policy
from identity.sessions import repository as sessions
from kit.auth import Principal, Role
from kit.errors import Conflict, Forbidden, NotFound, Unauthenticated
from kit.mail import queue_mail
from kit.pagination import Page
from kit.privacy.protocol import ACCOUNT_REMOVED, ACCOUNT_REMOVED_KEY
from kit.security import security_event

ASSIGNABLE_BY_TENANT_ADMIN = frozenset(
    {Role.EMPLOYEE, Role.TENANT_ADMIN, Role.SUPPORT_AGENT, Role.DPO}
)
EXISTS = "a user with this email already exists in this tenant"
NUMBER_TAKEN = "another account of this tenant has this employee number"


async def current_user(db: AsyncSession, *, principal: Principal) -> User:
    user = await repository.user_by_id(db, tenant_id=principal.tenant_id, user_id=principal.user_id)
    if user is None:
        raise Unauthenticated("authentication required")
    return user


async def create_user(
    db: AsyncSession, ctx: Context, *, principal: Principal, data: UserCreate, now: datetime
) -> User:
    roles = set(data.roles)
    if Role.PLATFORM_ADMIN not in principal.roles and not roles <= ASSIGNABLE_BY_TENANT_ADMIN:
        raise Forbidden("a tenant admin cannot give the platform admin role")
    if data.password is not None:
        check_policy(data.password)
    if await repository.user_by_email(db, tenant_id=principal.tenant_id, email=data.email):
        raise Conflict(EXISTS)
    if data.employee_number is not None and await repository.user_by_employee_number(
        db, tenant_id=principal.tenant_id, employee_number=data.employee_number
    ):
        raise Conflict(NUMBER_TAKEN)
    user = User(
        tenant_id=principal.tenant_id,
        email=data.email,
        first_name=data.first_name,
        last_name=data.last_name,
        roles=sorted(roles),
        password_hash=await ctx.passwords.hashed(data.password) if data.password else None,
        is_active=True,
        created_at=now,
        password_changed_at=now if data.password else None,
        employee_number=data.employee_number,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError as exc:  # a concurrent creation of the same email or number
        raise Conflict(NUMBER_TAKEN if "employee_number" in str(exc.orig) else EXISTS) from exc
    await events.add(
        db,
        Event.USER_CREATED,
        tenant=user.tenant_id,
        subject=user.id,
        payload={"roles": user.roles},
    )
    if set(user.roles) - {Role.EMPLOYEE}:
        security_event(
            SecurityEvent.ROLES_GRANTED,
            service="identity",
            account=user.id,
            by=principal.user_id,
            roles=",".join(sorted(user.roles)),
        )
    await subject_data.record_personal_data(db, events, subject=user.id, tenant=user.tenant_id)
    return user


async def users_page(
    db: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> tuple[Page[User], set[str]]:
    """One page of the tenant's accounts, and the ids among them whose data is restricted
    (Art. 18): those are shown as an id only."""
    page = await repository.users_page(db, tenant_id=tenant_id, cursor=cursor, limit=limit)
    ids = [u.id for u in page.items]
    return page, await subject_data.flagged(db, subject_data.restrictions, ids)


async def remove_user(
    db: AsyncSession, *, principal: Principal, user_id: str, now: datetime
) -> None:
    """An admin removes an account of their tenant: no more sign-in and every session ended at
    once, then the person's erasure, asked of the privacy service in the same transaction.

    Nothing is deleted here: the erasure request (filed in the admin's name) reaches every
    service that holds anything about the person (orders, grants and mandates, tickets,
    consents...), keeps what the law keeps in the restricted archive, reports what it did, and
    erases the account last. Asking twice files one request."""
    user = await repository.user_by_id(db, tenant_id=principal.tenant_id, user_id=user_id)
    if user is None:
        raise NotFound("user not found")
    if Role.PLATFORM_ADMIN in user.roles and Role.PLATFORM_ADMIN not in principal.roles:
        raise Forbidden("only a platform admin can remove a platform admin")
    user.is_active = False
    await sessions.revoke_sessions(db, user_id=user.id, now=now)
    await events.add(
        db,
        ACCOUNT_REMOVED,
        tenant=user.tenant_id,
        subject=user.id,
        payload={"by": principal.user_id},
        routing_key=ACCOUNT_REMOVED_KEY,
    )


async def account_id(db: AsyncSession, *, tenant_id: str, email: str) -> str:
    """The account id of an email in the tenant (the privacy service's look-up for a DPO)."""
    user = await repository.user_by_email(db, tenant_id=tenant_id, email=email)
    if user is None:
        raise NotFound("no account with this email in your tenant")
    return user.id


#: Ids a page of ``/internal/users/employees`` gives.
EMPLOYEES_PAGE = 1000


async def employee_ids(
    db: AsyncSession, *, principal: Principal, after: str | None
) -> tuple[list[str], str | None]:
    """The ids of the caller's tenant's active employees, a page at a time."""
    return await repository.active_employee_ids(
        db, tenant_id=principal.tenant_id, after=after, limit=EMPLOYEES_PAGE
    )


async def contact(db: AsyncSession, *, principal: Principal) -> str:
    """The person's own email (the orders service's, for the mails of their orders)."""
    user = await repository.user_by_id(db, tenant_id=principal.tenant_id, user_id=principal.user_id)
    if user is None:
        raise NotFound("no such account")
    return user.email


class CredentialChange(StrEnum):
    """What changed, in the mail that tells the person (``tell_credentials_changed``)."""

    PASSWORD = "password"  # noqa: S105 (a kind of change)
    RESET = "reset"
    MFA_ON = "mfa_on"
    MFA_OFF = "mfa_off"


CREDENTIAL_MAILS = {
    CredentialChange.PASSWORD: (
        "Votre mot de passe a été changé / Your password was changed",
        "Le mot de passe de votre compte vient d'être changé.",
        "The password of your account was just changed.",
    ),
    CredentialChange.RESET: (
        "Votre mot de passe a été réinitialisé / Your password was reset",
        "Le mot de passe de votre compte vient d'être réinitialisé par un lien reçu par mail.",
        "The password of your account was just reset through a link sent by mail.",
    ),
    CredentialChange.MFA_ON: (
        "Double authentification activée / Two-factor login turned on",
        "La double authentification vient d'être activée sur votre compte.",
        "Two-factor login was just turned on for your account.",
    ),
    CredentialChange.MFA_OFF: (
        "Double authentification désactivée / Two-factor login turned off",
        "La double authentification vient d'être désactivée sur votre compte.",
        "Two-factor login was just turned off for your account.",
    ),
}


async def tell_credentials_changed(db: AsyncSession, user: User, what: CredentialChange) -> None:
    """Mail the person when their credentials change (ASVS 6.3.7): if it was not them, they
    know at once, and the mail says what to do. No link in it: nothing to phish with."""
    subject, french, english = CREDENTIAL_MAILS[what]
    text = (
        f"Bonjour,\n\n{french} Si ce n'est pas vous, réinitialisez votre mot de passe et "
        f"prévenez votre administrateur.\n\nHello,\n\n{english} If it was not you, reset "
        "your password and tell your administrator.\n"
    )
    await queue_mail(db, events, to=user.email, tenant=user.tenant_id, subject=subject, text=text)
