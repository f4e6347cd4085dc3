"""Employee import by a tenant admin (ID4): the company's list of employees as a CSV.

The file is read whole, every line checked, then applied in one transaction:
- matched by email (case-insensitive) with the tenant's accounts: an existing account gets the
  file's names (and is reactivated if it was deactivated), a new one is created with no
  password and invited by email (a single-use link, ``links.INVITE``);
- ``all_or_nothing`` (default): any line error and nothing changes (422 with the report);
  ``per_line``: good lines are applied, bad ones reported (200);
- ``deactivate_missing``: active employees whose address is on no line of the file are
  deactivated and logged out everywhere (never staff, never the caller);
- ``dry_run``: the same report, nothing written.

Built for 10,000 lines in well under 30 s: the tenant's accounts are loaded once, new ones
added in one flush, and their events, data-map marks, invitation links and mails written in a
few multi-row statements (no password is hashed: the person chooses it from the invitation).

Only the employee role is imported: staff accounts are managed one by one. An account whose
data is restricted (Art. 18) is left as it is, silently (telling which line it is would reveal
who asked for the restriction). Errors name a line, never an address or a name.
"""

import csv
import hashlib
import io
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity import links
from identity.config import Settings
from identity.models import AccountToken, Session, Tenant, User, events, subject_data
from identity.schemas import Email
from kit.auth import Principal, Role
from kit.db import new_id
from kit.errors import Conflict, Invalid, NotFound
from kit.mail import MAIL, mail_key
from kit.privacy.protocol import DATA_MAP_KEY, PERSONAL_DATA_RECORDED
from kit.schemas import clean_text

log = logging.getLogger("identity.imports")

Mode = Literal["all_or_nothing", "per_line"]
#: The gateway's limit for this route; the service checks it too.
MAX_BYTES = 10 * 1024 * 1024
NAME_MAX = 100
#: Rows per ``IN (...)`` list: far below PostgreSQL's 32,767 parameters.
CHUNK = 1000

#: Accepted column names (case-insensitive, blanks and underscores alike), French or English.
COLUMNS = {
    "email": "email",
    "e-mail": "email",
    "e_mail": "email",
    "courriel": "email",
    "first_name": "first_name",
    "firstname": "first_name",
    "prénom": "first_name",
    "prenom": "first_name",
    "last_name": "last_name",
    "lastname": "last_name",
    "nom": "last_name",
    "nom_de_famille": "last_name",
    "role": "role",
    "rôle": "role",
}
REQUIRED = ("email", "first_name", "last_name")
#: What the role column may say: the employee role only (blank means employee).
EMPLOYEE_ROLE = frozenset({"", "employee", "employé", "employe", "salarié", "salarie"})

OUTSIDE_DOMAINS = "email outside the company's domains"
_email = TypeAdapter(Email)


class LineError(BaseModel):
    line: int
    error: str


class ImportReport(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[LineError] = []
    dry_run: bool = False


@dataclass(frozen=True)
class Line:
    """A good line of the file."""

    number: int
    email: str
    first_name: str
    last_name: str


@dataclass
class Parsed:
    lines: list[Line] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    #: Every address written in the file, good line or not: nobody on any line is deactivated.
    mentioned: set[str] = field(default_factory=set)


# -- reading the file -------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (Excel's French "CSV" export)."""
    if not data.strip():
        raise Invalid("the file is empty")
    if b"\x00" in data:
        raise Invalid("not a CSV file: save it as CSV (UTF-8 or Windows-1252)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise Invalid("not a CSV file: save it as CSV (UTF-8 or Windows-1252)") from None


def _column(name: str) -> str | None:
    key = re.sub(r"[\s_]+", "_", unicodedata.normalize("NFC", name).strip().lower())
    return COLUMNS.get(key)


def _header(record: Sequence[str]) -> dict[str, int]:
    """Column name -> index; a file error (422) when a required column is missing."""
    columns: dict[str, int] = {}
    for index, name in enumerate(record):
        column = _column(name)
        if column is None:
            continue  # other columns (a service, a staff number) are ignored, never stored
        if column in columns:
            raise Invalid(f"the column {column} appears twice in the header")
        columns[column] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise Invalid(
            f"missing columns: {', '.join(missing)}; the first line must name the columns "
            "email, first_name, last_name and optionally role (or courriel, prénom, nom)"
        )
    return columns


def _name(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} missing")
    try:
        clean_text(value)
    except ValueError:
        raise ValueError(f"{what} contains control characters") from None
    if len(value) > NAME_MAX:
        raise ValueError(f"{what} longer than {NAME_MAX} characters")
    return value


def _records(text: str) -> Iterable[tuple[int, list[str]]]:
    """(line number where the record starts, fields), skipping blank lines."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for record in reader:
            if any(value.strip() for value in record):
                yield start, record
            start = reader.line_num + 1
    except csv.Error:
        raise Invalid(
            f"the CSV cannot be read at line {start}: a misplaced or unclosed quote"
        ) from None


def parse(data: bytes, domains: Iterable[str]) -> Parsed:
    """Every line checked against the file's rules and the company's email domains."""
    allowed = {d.strip().lower() for d in domains}
    records = iter(_records(decode(data)))
    header = next(records, None)
    if header is None:
        raise Invalid("the file is empty")
    columns = _header(header[1])
    parsed, seen = Parsed(), dict[str, int]()
    for number, record in records:
        try:
            parsed.lines.append(_line(number, record, columns, allowed, seen, parsed.mentioned))
        except ValueError as exc:
            parsed.errors.append(LineError(line=number, error=str(exc)))
    if not parsed.lines and not parsed.errors:
        raise Invalid("the file has a header but no employee")
    return parsed


def _line(
    number: int,
    record: list[str],
    columns: dict[str, int],
    allowed: set[str],
    seen: dict[str, int],
    mentioned: set[str],
) -> Line:
    """A good line, or ValueError with the line's error (never quoting the line)."""
    if len(record) <= max(columns[c] for c in REQUIRED):
        raise ValueError("missing fields")
    raw = record[columns["email"]].strip().lower()
    if raw:
        mentioned.add(raw)
    try:
        email = _email.validate_python(raw)
    except ValidationError:
        raise ValueError("invalid email address") from None
    if email.rsplit("@", 1)[1] not in allowed:
        raise ValueError(OUTSIDE_DOMAINS)
    if email in seen:
        raise ValueError(f"same email as line {seen[email]}")
    seen[email] = number
    first = _name(record[columns["first_name"]], "first name")
    last = _name(record[columns["last_name"]], "last name")
    role = record[columns["role"]] if columns.get("role", len(record)) < len(record) else ""
    if role.strip().lower() not in EMPLOYEE_ROLE:
        raise ValueError("only the employee role can be imported")
    return Line(number, email, first, last)


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


def is_employee_only(user: User) -> bool:
    return set(user.roles) == {Role.EMPLOYEE.value}


async def _restricted(db: AsyncSession, tenant_id: str) -> set[str]:
    table = subject_data.restrictions
    rows = await db.scalars(
        select(table.c.subject)
        .join(User, User.id == table.c.subject)
        .where(User.tenant_id == tenant_id)
    )
    return set(rows)


async def _tenant_users(db: AsyncSession, tenant_id: str) -> dict[str, User]:
    users = await db.scalars(select(User).where(User.tenant_id == tenant_id))
    return {u.email.lower(): u for u in users}


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
        renamed = (user.first_name, user.last_name) != (line.first_name, line.last_name)
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
    mode: Mode,
    deactivate_missing: bool,
    dry_run: bool,
    now: datetime,
) -> Result:
    """Check the file, and apply it unless it is a dry run or a line error stops it."""
    tenant = await db.get(Tenant, admin.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    if not tenant.email_domains:
        raise Invalid("no email domain is set for your company: the platform must set it first")
    parsed = parse(data, tenant.email_domains)
    report = ImportReport(errors=parsed.errors, dry_run=dry_run)
    if parsed.errors and mode == "all_or_nothing":
        _log(admin, report, mode, applied=False)
        return Result(422, report)
    todo = plan(
        parsed,
        await _tenant_users(db, tenant.id),
        await _restricted(db, tenant.id),
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
    created = [
        User(
            tenant_id=tenant_id,
            email=line.email,
            first_name=line.first_name,
            last_name=line.last_name,
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
        if reactivate:
            user.is_active = True
    for user in todo.deactivate:
        user.is_active = False
    try:
        await db.flush()
    except IntegrityError as exc:  # the same address created meanwhile by another request
        raise Conflict("accounts changed during the import: upload the file again") from exc
    changed = [u.id for u in created] + [u.id for u, _, _ in todo.update]
    changed += [u.id for u in todo.deactivate]
    # Everything is written: nothing more to track (an ORM update, such as an invitation's,
    # would look through every loaded account otherwise).
    db.expunge_all()
    outbox = Outbox(tenant_id)
    await invite_new(db, settings, outbox, created, now=now)
    for user, _line, reactivate in todo.update:
        if reactivate:
            outbox.add("user.reactivated", user.id, {"by": "import"})
            if user.password_hash is None:  # the first invitation may have expired
                await links.send(db, settings, user=user, purpose=links.INVITE, now=now)
    for user in todo.deactivate:
        outbox.add("user.deactivated", user.id, {"by": "import"})
    await outbox.write(db)
    await log_out(db, [u.id for u in todo.deactivate], now=now)
    # The import's own record (counts only), through ``events.add`` like every event: it also
    # wakes the relay at the commit, which then publishes the rows written above at once.
    await events.add(
        db,
        "users.imported",
        tenant=tenant_id,
        payload={
            "created": len(created),
            "updated": len(todo.update),
            "deactivated": len(todo.deactivate),
        },
    )
    return changed


class Outbox:
    """Events of one tenant written to the outbox in one statement, as ``events.add`` writes
    them one by one (10,000 single inserts would take half a minute)."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.rows: list[dict[str, object]] = []

    def add(
        self,
        type_: str,
        subject: str | None,
        payload: dict[str, object],
        routing_key: str | None = None,
    ) -> None:
        envelope = events.envelope(type_, tenant=self.tenant_id, subject=subject, payload=payload)
        self.rows.append(
            {
                "id": envelope.id,
                "type": envelope.type,
                "routing_key": routing_key,
                "body": envelope.model_dump_json(),
                "created_at": datetime.now(UTC),
                "attempts": 0,
            }
        )

    async def write(self, db: AsyncSession) -> None:
        if self.rows:
            await db.execute(insert(events.outbox), self.rows)
            self.rows = []


async def invite_new(
    db: AsyncSession, settings: Settings, outbox: Outbox, created: list[User], *, now: datetime
) -> None:
    """For each new account: ``user.created``, the privacy data map's mark, and a single-use
    invitation link by email, as ``service.create_user``, ``record_personal_data`` and
    ``links.send`` do for one account, in a few statements for all of them."""
    if not created:
        return
    categories = subject_data.categories()
    # kit's record_personal_data remembers what it announced by this hash of the categories.
    digest = hashlib.sha256("\n".join(categories).encode()).hexdigest()
    tokens: list[dict[str, object]] = []
    for user in created:
        outbox.add("user.created", user.id, {"roles": user.roles})
        outbox.add(
            PERSONAL_DATA_RECORDED,
            user.id,
            {"service": subject_data.service, "categories": categories},
            DATA_MAP_KEY,
        )
        token = secrets.token_urlsafe(32)  # 256 bits, as links.issue
        tokens.append(
            {
                "id": new_id(),
                "user_id": user.id,
                "purpose": links.INVITE,
                "token_hash": links.token_hash(token),
                "created_at": now,
                "expires_at": now + links.lifetime(settings, links.INVITE),
            }
        )
        subject, text = links.message(
            settings, links.INVITE, links.url(settings, links.INVITE, token)
        )
        outbox.add(
            MAIL, None, {"to": user.email, "subject": subject, "text": text}, mail_key("identity")
        )
    await db.execute(insert(AccountToken), tokens)
    await db.execute(
        insert(subject_data.announced),
        [{"subject": u.id, "categories": digest, "at": now} for u in created],
    )


async def log_out(db: AsyncSession, user_ids: list[str], *, now: datetime) -> None:
    """End every open session of these accounts and spend their unused emailed links (an
    invitation must not let a deactivated person in): a few queries, whatever their number."""
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        await db.execute(
            update(Session)
            .where(Session.user_id.in_(chunk), Session.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        await db.execute(
            update(AccountToken)
            .where(AccountToken.user_id.in_(chunk), AccountToken.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )


def _log(admin: Principal, report: ImportReport, mode: Mode, *, applied: bool) -> None:
    log.info(
        "employee import",
        extra={
            "tenant": admin.tenant_id,
            "mode": mode,
            "applied": applied,
            # "created" would overwrite the log record's own attribute: hence the prefix.
            "accounts_created": report.created,
            "accounts_updated": report.updated,
            "accounts_unchanged": report.unchanged,
            "accounts_deactivated": report.deactivated,
            "line_errors": len(report.errors),
        },
    )
