"""The employee import applied: the file read (``identity.imports.parsing``), a plan made
against the tenant's accounts, then written in one transaction. No HTTP here."""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.models import User
from identity.base import Event, events, subject_data
from identity.config import Settings
from identity.imports import repository
from identity.imports.parsing import Line, Parsed, parse
from identity.imports.schemas import ImportMode, ImportReport, LineError
from identity.passwords import repository as links
from identity.passwords import service as passwords
from identity.passwords.models import LinkPurpose
from identity.sessions import repository as sessions
from identity.sessions.service import hash_token
from identity.tenants import repository as tenants
from kit.auth import Principal, Role
from kit.db import new_id
from kit.errors import Conflict, Invalid, NotFound
from kit.events import OutboxBatch
from kit.mail import MAIL, mail_key

log = logging.getLogger("identity.imports")

#: Rows per ``IN (...)`` list: far below PostgreSQL's 32,767 parameters.
CHUNK = 1000
# -- applying it ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    #: 200, or 422 when ``all_or_nothing`` met a line error (nothing changed then).
    status: int
    report: ImportReport
    #: The accounts created, updated or deactivated (for the audit trail).
    changed: list[str] = field(default_factory=list)


@dataclass
class Plan:
    create: list[Line] = field(default_factory=list)
    #: (account, its line, reactivate)
    update: list[tuple[User, Line, bool]] = field(default_factory=list)
    unchanged: int = 0
    deactivate: list[User] = field(default_factory=list)


def _numbers_of_others(parsed: Parsed, existing: dict[str, User]) -> None:
    """A line giving the employee number another account of the tenant already has is an
    error (the number is what a sign-in through the directory is matched by)."""
    owners = {u.employee_number: email for email, u in existing.items() if u.employee_number}
    kept = []
    for line in parsed.lines:
        owner = owners.get(line.employee_number) if line.employee_number else None
        if owner is not None and owner != line.email:
            parsed.errors.append(
                LineError(line=line.number, error="employee number of another account")
            )
        else:
            kept.append(line)
    parsed.lines = kept
    parsed.errors.sort(key=lambda e: e.line)


def is_employee_only(user: User) -> bool:
    return set(user.roles) == {Role.EMPLOYEE.value}


def plan(
    parsed: Parsed,
    existing: dict[str, User],
    restricted: set[str],
    *,
    deactivate_missing: bool,
    caller: str,
) -> Plan:
    result = Plan()
    for line in parsed.lines:
        user = existing.get(line.email)
        if user is None:
            result.create.append(line)
            continue
        renamed = (user.first_name, user.last_name) != (line.first_name, line.last_name) or (
            line.employee_number is not None and line.employee_number != user.employee_number
        )
        reactivate = not user.is_active
        # A staff account on a line is left as it is: staff are managed one by one.
        if not is_employee_only(user) or user.id in restricted or not (renamed or reactivate):
            result.unchanged += 1
        else:
            result.update.append((user, line, reactivate))
    if deactivate_missing:
        result.deactivate = [
            u
            for email, u in existing.items()
            if u.is_active
            and is_employee_only(u)
            and u.id != caller
            and u.id not in restricted
            and email not in parsed.mentioned
        ]
    return result


async def run(
    db: AsyncSession,
    settings: Settings,
    *,
    admin: Principal,
    data: bytes,
    mode: ImportMode,
    deactivate_missing: bool,
    dry_run: bool,
    now: datetime,
) -> Result:
    """Check the file, and apply it unless it is a dry run or a line error stops it."""
    tenant = await tenants.tenant_by_id(db, admin.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    if not tenant.email_domains:
        raise Invalid("no email domain is set for your company: the platform must set it first")
    parsed = parse(data, tenant.email_domains)
    existing = await repository.tenant_users(db, tenant.id)
    _numbers_of_others(parsed, existing)
    report = ImportReport(errors=parsed.errors, dry_run=dry_run)
    if parsed.errors and mode == ImportMode.ALL_OR_NOTHING:
        _log(admin, report, mode, applied=False)
        return Result(422, report)
    todo = plan(
        parsed,
        existing,
        await repository.restricted_ids(db, tenant.id),
        deactivate_missing=deactivate_missing,
        caller=admin.user_id,
    )
    report.created, report.updated = len(todo.create), len(todo.update)
    report.unchanged, report.deactivated = todo.unchanged, len(todo.deactivate)
    changed = [] if dry_run else await apply(db, settings, tenant_id=tenant.id, todo=todo, now=now)
    _log(admin, report, mode, applied=not dry_run)
    return Result(200, report, changed)


async def apply(
    db: AsyncSession, settings: Settings, *, tenant_id: str, todo: Plan, now: datetime
) -> list[str]:
    """Write the plan (accounts in one flush, then their events, data-map marks, invitations
    and logouts in a few multi-row statements); returns the ids of the accounts changed."""
    created = await _write_accounts(db, tenant_id=tenant_id, todo=todo, now=now)
    changed = [u.id for u in created] + [u.id for u, _, _ in todo.update]
    changed += [u.id for u in todo.deactivate]
    # Everything is written: nothing more to track (an ORM update, such as an invitation's,
    # would look through every loaded account otherwise).
    db.expunge_all()
    batch = events.batch(tenant=tenant_id)
    await invite_new(db, settings, batch, created, now=now)
    for user, _line, reactivate in todo.update:
        if reactivate:
            batch.add(Event.USER_REACTIVATED, subject=user.id, payload={"by": "import"})
            if user.password_hash is None:  # the first invitation may have expired
                await passwords.send(db, settings, user=user, purpose=LinkPurpose.INVITE, now=now)
    for user in todo.deactivate:
        batch.add(Event.USER_DEACTIVATED, subject=user.id, payload={"by": "import"})
    await batch.write(db)
    await log_out(db, [u.id for u in todo.deactivate], now=now)
    # The import's own record (counts only), through ``events.add`` like every event: it also
    # wakes the relay at the commit, which then publishes the rows written above at once.
    await events.add(
        db,
        Event.USERS_IMPORTED,
        tenant=tenant_id,
        payload={
            "created": len(created),
            "updated": len(todo.update),
            "deactivated": len(todo.deactivate),
        },
    )
    return changed


async def _write_accounts(
    db: AsyncSession, *, tenant_id: str, todo: Plan, now: datetime
) -> list[User]:
    """The plan's accounts created, renamed, reactivated and deactivated, in one flush; the
    new accounts are returned."""
    created = [
        User(
            tenant_id=tenant_id,
            email=line.email,
            first_name=line.first_name,
            last_name=line.last_name,
            employee_number=line.employee_number,
            roles=[Role.EMPLOYEE.value],
            password_hash=None,
            is_active=True,
            created_at=now,
        )
        for line in todo.create
    ]
    db.add_all(created)
    for user, line, reactivate in todo.update:
        user.first_name, user.last_name = line.first_name, line.last_name
        if line.employee_number is not None:
            user.employee_number = line.employee_number
        if reactivate:
            user.is_active = True
    for user in todo.deactivate:
        user.is_active = False
    try:
        await db.flush()
    except IntegrityError as exc:  # the same address created meanwhile by another request
        raise Conflict("accounts changed during the import: upload the file again") from exc
    return created


async def invite_new(
    db: AsyncSession, settings: Settings, batch: OutboxBatch, created: list[User], *, now: datetime
) -> None:
    """For each new account: ``user.created``, the privacy data map's mark, and a single-use
    invitation link by email, as ``accounts.service.create_user``, ``record_personal_data`` and
    ``passwords.service.send`` do for one account, in a few statements for all of them."""
    if not created:
        return
    tokens: list[dict[str, Any]] = []
    for user in created:
        batch.add(Event.USER_CREATED, subject=user.id, payload={"roles": user.roles})
        token = secrets.token_urlsafe(32)  # 256 bits, as passwords.service.issue
        tokens.append(
            {
                "id": new_id(),
                "user_id": user.id,
                "purpose": LinkPurpose.INVITE,
                "token_hash": hash_token(token),
                "created_at": now,
                "expires_at": now + passwords.lifetime(settings, LinkPurpose.INVITE),
            }
        )
        link = passwords.url(settings, LinkPurpose.INVITE, token)
        subject, text = passwords.message(settings, LinkPurpose.INVITE, link)
        batch.add(
            MAIL,
            payload={"to": user.email, "subject": subject, "text": text},
            routing_key=mail_key("identity"),
        )
    await links.add_links(db, tokens)
    await subject_data.record_personal_data_many(
        db, batch, subjects=[u.id for u in created], now=now
    )


async def log_out(db: AsyncSession, user_ids: list[str], *, now: datetime) -> None:
    """End every open session of these accounts and spend their unused emailed links (an
    invitation must not let a deactivated person in): a few queries, whatever their number."""
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        await sessions.revoke_sessions_of(db, chunk, now=now)
        await links.spend_links_of(db, chunk, now=now)


def _log(admin: Principal, report: ImportReport, mode: ImportMode, *, applied: bool) -> None:
    log.info(
        "employee import",
        extra={
            "tenant": admin.tenant_id,
            "mode": mode.value,
            "applied": applied,
            # "created" would overwrite the log record's own attribute: hence the prefix.
            "accounts_created": report.created,
            "accounts_updated": report.updated,
            "accounts_unchanged": report.unchanged,
            "accounts_deactivated": report.deactivated,
            "line_errors": len(report.errors),
        },
    )
