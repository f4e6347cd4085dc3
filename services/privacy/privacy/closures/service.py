"""The end of a client's contract (Art. 28(3)(g)): a tenant is closed, every person's data of
it is exported for the client in one archive, then erased everywhere but what the law keeps,
with a report; nobody of the tenant signs in again.

The machinery is the data-subject requests' (``privacy.requests``), one person at a time:
- closing (``start``): the closure is recorded and identity told (``tenant.closing``, through
  the outbox in the same transaction): it refuses every sign-in of the tenant and ends its
  sessions, so nothing new comes in, announces every account to the data map and answers
  ``tenant.closed`` with how many accounts there are (``identity_closed``);
- exporting, once identity answered and the data map holds as many people as the tenant has
  accounts (or ``MARKS_GRACE`` after the answer: someone erased meanwhile leaves the map):
  one access request per person of the data map (channel ``tenant-closure``), in
  batches; once they are all answered, their archives are opened and joined into the client's
  archive (a zip of one zip per person and a manifest), encrypted at rest, and the people's
  own archives deleted;
- erasing: one erasure request per person (every service, identity last, legal retention
  kept in each service's restricted archive); once all are done, the report: per service the
  rows erased, the rows kept, their legal basis, reason and date.

Each step is one transaction of the privacy worker's job (``advance``), the closure row
locked: a crash or restart of any process or of RabbitMQ loses nothing (requests, commands and
answers are in outboxes and tables; unanswered commands are sent again) and does nothing twice
(a person has one export and one erasure, recorded with the step that opened them; every
service carries out a command once).
"""

import io
import json
import secrets
import zipfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal, Role
from kit.errors import Forbidden, Invalid, NotFound
from kit.privacy.protocol import TENANT_CLOSING, tenant_closing_key
from privacy.archives import files
from privacy.archives import repository as archives
from privacy.base import events
from privacy.closures import repository
from privacy.closures.models import ClosurePerson, ClosureStatus, TenantClosure
from privacy.context import Context
from privacy.requests import service as requests
from privacy.requests.models import FINAL, Channel, Request, RequestStatus, RequestType

#: Requests opened per step: a large tenant is worked through in many short transactions.
BATCH = 200
#: How long the client's archive waits to be downloaded.
ARCHIVE_DAYS = 30
CLOSURE = requests.Filing(channel=Channel.TENANT_CLOSURE)
#: How long after identity's answer the export waits for the data map to hold every account.
MARKS_GRACE = timedelta(minutes=5)
#: A request that ended without its effect, opened again.
AGAIN = (RequestStatus.FAILED, RequestStatus.CANCELLED)


def closure_tenant(principal: Principal, tenant_id: str | None) -> str:
    """The tenant ``principal`` closes or follows: a tenant admin their own, the platform
    administrator any (named). 403 otherwise."""
    if Role.PLATFORM_ADMIN in principal.roles:
        return tenant_id or principal.tenant_id
    if Role.TENANT_ADMIN in principal.roles and tenant_id in (None, principal.tenant_id):
        return principal.tenant_id
    raise Forbidden("a tenant is closed by its admin or by the platform administrator")


def check_confirmation(principal: Principal, tenant: str, confirm: str) -> None:
    """Closing erases a whole tenant: the closer types its name (the slug its people sign in
    with) or, for the platform administrator, its id. 422 otherwise, nothing done."""
    expected = {tenant} if tenant != principal.tenant_id else {tenant, principal.tenant}
    if confirm.strip() not in expected:
        raise Invalid("confirm with the tenant's name (or, for the platform, its id)")


async def start(
    db: AsyncSession,
    *,
    principal: Principal,
    tenant_id: str | None,
    confirm: str,
    now: datetime,
) -> TenantClosure:
    """Close the tenant: recorded, identity told. Asked again, the same closure."""
    tenant = closure_tenant(principal, tenant_id)
    check_confirmation(principal, tenant, confirm)
    found = await repository.closure_of(db, tenant, lock=True)
    if found is not None:
        return found
    closure = TenantClosure(
        tenant_id=tenant,
        status=ClosureStatus.EXPORTING,
        requested_by=principal.user_id,
        requested_at=now,
    )
    db.add(closure)
    await events.add(
        db,
        TENANT_CLOSING,
        tenant=tenant,
        payload={"tenant": tenant},
        routing_key=tenant_closing_key("identity"),
    )
    await db.flush()
    return closure


async def identity_closed(
    db: AsyncSession, *, tenant_id: str, accounts: int, now: datetime
) -> None:
    """Identity closed the tenant and announced its ``accounts`` accounts to the data map."""
    closure = await repository.closure_of(db, tenant_id, lock=True)
    if closure is not None and closure.identity_closed_at is None:
        closure.identity_closed_at, closure.accounts = now, accounts


async def visible_closure(
    db: AsyncSession, *, principal: Principal, tenant_id: str
) -> TenantClosure:
    """The closure of the caller's tenant, or of any for the platform administrator; 404 for
    another tenant's, and for a tenant not closing."""
    visible = Role.PLATFORM_ADMIN in principal.roles or tenant_id == principal.tenant_id
    found = await repository.closure_of(db, tenant_id) if visible else None
    if found is None:
        raise NotFound("this tenant is not being closed")
    return found


# -- the steps ---------------------------------------------------------------------------------


async def advance_all(db: AsyncSession, ctx: Context, now: datetime) -> int:
    """One step of every open closure (the worker's job); returns how many moved."""
    moved = 0
    for tenant_id in await repository.open_closures(db):
        moved += await advance(db, ctx, tenant_id, now)
    return moved


async def advance(db: AsyncSession, ctx: Context, tenant_id: str, now: datetime) -> int:
    """One step of the tenant's closure, its row locked (two workers never both step it)."""
    closure = await repository.closure_of(db, tenant_id, lock=True)
    if closure is None or closure.status == ClosureStatus.COMPLETED:
        return 0
    people = list(await repository.people_of(db, tenant_id))
    if closure.status == ClosureStatus.EXPORTING:
        return await _export(db, ctx, closure, people, now)
    return await _erase(db, ctx, closure, people, now)


async def _open(
    db: AsyncSession, ctx: Context, tenant_id: str, subject: str, kind: RequestType, now: datetime
) -> Request:
    return await requests.open_request(
        db, ctx, tenant_id=tenant_id, subject=subject, request_type=kind, now=now, filing=CLOSURE
    )


async def _export(
    db: AsyncSession,
    ctx: Context,
    closure: TenantClosure,
    people: list[ClosurePerson],
    now: datetime,
) -> int:
    if closure.identity_closed_at is None or closure.accounts is None:
        return 0  # identity has not closed the tenant yet
    mapped = await repository.mapped_subjects(db, closure.tenant_id)
    known = {p.subject for p in people}
    everyone = len(known | set(mapped)) >= closure.accounts
    if not everyone and now < closure.identity_closed_at + MARKS_GRACE:
        return 0  # the data map's marks are on their way
    new = [s for s in mapped if s not in known]
    for subject in new[:BATCH]:
        request = await _open(db, ctx, closure.tenant_id, subject, RequestType.ACCESS, now)
        db.add(
            ClosurePerson(
                tenant_id=closure.tenant_id, subject=subject, access_request_id=request.id
            )
        )
    if new:
        await db.flush()
        return 1
    found = await repository.requests_by_id(
        db, [p.access_request_id for p in people if p.access_request_id]
    )
    waiting = reopened = 0
    for person in people:
        answered = found.get(person.access_request_id or "")
        if (
            answered is not None
            and answered.status in AGAIN
            and person.subject
            and reopened < BATCH
        ):
            again = await _open(db, ctx, closure.tenant_id, person.subject, RequestType.ACCESS, now)
            person.access_request_id, reopened = again.id, reopened + 1
        if answered is None or answered.status not in FINAL or answered.status in AGAIN:
            waiting += 1 if person.subject else 0
    if waiting:
        return 1 if reopened else 0
    await _client_archive(db, ctx, closure, people, found, now)
    closure.status, closure.exported_at = ClosureStatus.ERASING, now
    return 1


def closures_dir(ctx: Context) -> Path:
    assert ctx.settings.exports_dir is not None
    return ctx.settings.exports_dir / "closures"


async def _client_archive(
    db: AsyncSession,
    ctx: Context,
    closure: TenantClosure,
    people: Sequence[ClosurePerson],
    found: dict[str, Request],
    now: datetime,
) -> None:
    """The client's archive: each person's access archive (a zip: a JSON per service, a CSV
    per table, the manifest), one per person, and ``manifest.json``; the people's own
    archives are deleted (once this transaction commits)."""
    buffer = io.BytesIO()
    exported: list[str] = []
    erased_meanwhile: list[str] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for person in people:
            request = found.get(person.access_request_id or "")
            stored = await archives.archive_of(db, request.id) if request else None
            data = files.read(ctx.archive_path(stored.file_name)) if stored else None
            if request is None or request.subject is None or stored is None or data is None:
                erased_meanwhile.append(person.id)
                continue
            archive.writestr(
                f"people/{request.subject}.zip",
                ctx.cipher.decrypt(data, context=request.id.encode()),
            )
            exported.append(request.subject)
            files.discard(db, ctx.archive_path(stored.file_name))
            await db.delete(stored)
        manifest = {
            "tenant_id": closure.tenant_id,
            "made_at": now.isoformat(),
            "why": "end of the processing agreement (Art. 28(3)(g) GDPR): the data returned "
            "to the client, the controller, before it is erased",
            "people": sorted(exported),
            "not_exported": len(erased_meanwhile),
            "format": "people/<account id>.zip: the person's access archive (a JSON per "
            "service, a CSV per table, manifest.json)",
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    data = buffer.getvalue()
    name = f"{secrets.token_hex(16)}{files.SUFFIX}"
    folder = closures_dir(ctx)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files.stage(db, folder / name, ctx.cipher.encrypt(data, context=closure.tenant_id.encode()))
    closure.archive_file, closure.archive_size = name, len(data)
    closure.archive_expires_at = now + timedelta(days=ARCHIVE_DAYS)


async def _erase(
    db: AsyncSession,
    ctx: Context,
    closure: TenantClosure,
    people: list[ClosurePerson],
    now: datetime,
) -> int:
    # A data-map mark that came after the export began (late, or sent again after a crash):
    # that person is erased too, never left behind; the report counts them apart.
    known = {p.subject for p in people}
    late = [s for s in await repository.mapped_subjects(db, closure.tenant_id) if s not in known]
    for subject in late[:BATCH]:
        request = await _open(db, ctx, closure.tenant_id, subject, RequestType.ERASURE, now)
        db.add(
            ClosurePerson(
                tenant_id=closure.tenant_id,
                subject=subject,
                erasure_request_id=request.id,
            )
        )
    if late:
        await db.flush()
        return 1
    opened = 0
    for person in people:
        if person.subject and person.erasure_request_id is None and opened < BATCH:
            request = await _open(
                db, ctx, closure.tenant_id, person.subject, RequestType.ERASURE, now
            )
            person.erasure_request_id, opened = request.id, opened + 1
    if opened:
        await db.flush()
        return 1
    found = await repository.requests_by_id(
        db, [p.erasure_request_id for p in people if p.erasure_request_id]
    )
    waiting = 0
    for person in people:
        answered = found.get(person.erasure_request_id or "")
        if answered is not None and answered.status in AGAIN and person.subject:
            again = await _open(
                db, ctx, closure.tenant_id, person.subject, RequestType.ERASURE, now
            )
            person.erasure_request_id = again.id
            waiting += 1
        elif answered is not None and answered.status not in FINAL:
            waiting += 1
    if waiting:
        return 0
    closure.report = report(
        [found[p.erasure_request_id] for p in people if p.erasure_request_id in found]
    )
    closure.report["people"] = len(people)
    # Those a late mark named: erased, but not in the client's archive (no access request).
    closure.report["erased_without_export"] = sum(1 for p in people if not p.access_request_id)
    # Accounts identity announced that the data map never named (erased meanwhile, or a
    # mark lost): the report says so rather than look complete.
    closure.report["accounts_not_found"] = max(0, (closure.accounts or 0) - len(people))
    closure.status, closure.completed_at = ClosureStatus.COMPLETED, now
    return 1


def report(erasures: Sequence[Request]) -> dict[str, Any]:
    """Per service: the rows erased and kept, and per kept table its legal basis, reason and
    the last date until which a row is kept."""
    services: dict[str, dict[str, Any]] = {}
    for request in erasures:
        for service, actions in (request.report or {}).items():
            entry = services.setdefault(service, {"erased_rows": 0, "kept_rows": 0, "kept": {}})
            for table in (actions.get("erase") or {}).get("tables", []):
                entry["erased_rows"] += int(table.get("erased_rows", 0))
                kept = int(table.get("kept_rows", 0))
                if not kept:
                    continue
                entry["kept_rows"] += kept
                why = entry["kept"].setdefault(
                    table["table"],
                    {
                        "rows": 0,
                        "legal_basis": table.get("legal_basis"),
                        "reason": table.get("reason"),
                        "kept_until": table.get("kept_until"),
                    },
                )
                why["rows"] += kept
                until = table.get("kept_until")
                if until and (why["kept_until"] is None or until > why["kept_until"]):
                    why["kept_until"] = until
    return {
        "erasures": len(erasures),
        "completed": sum(1 for r in erasures if r.status == RequestStatus.COMPLETED),
        "services": dict(sorted(services.items())),
    }


# -- what the platform administrator and the tenant admin see ------------------------------------


async def progress(db: AsyncSession, closure: TenantClosure) -> dict[str, int]:
    """How far the closure is: people found, exported, erased, and requests that failed (they
    are opened again)."""
    people = await repository.people_of(db, closure.tenant_id)
    ids = [i for p in people for i in (p.access_request_id, p.erasure_request_id) if i]
    found = await repository.requests_by_id(db, ids)

    def count(attribute: str, statuses: Sequence[str]) -> int:
        return sum(
            1
            for p in people
            if (r := found.get(getattr(p, attribute) or "")) is not None and r.status in statuses
        )

    done = (RequestStatus.COMPLETED, RequestStatus.REJECTED)
    return {
        "people": len(people),
        "exported": count("access_request_id", done),
        "erased": count("erasure_request_id", (RequestStatus.COMPLETED,)),
        "failed": count("access_request_id", AGAIN) + count("erasure_request_id", AGAIN),
    }


async def download(
    db: AsyncSession, ctx: Context, *, principal: Principal, tenant_id: str, now: datetime
) -> bytes:
    """The client's archive, for the platform administrator (who hands it to the client: its
    own accounts are closed; the route admits no one else); 404 before it is made, or once
    expired."""
    if Role.PLATFORM_ADMIN not in principal.roles:
        raise Forbidden("the client's archive is handed over by the platform administrator")
    closure = await repository.closure_of(db, tenant_id)
    stored = None
    if (
        closure
        and closure.archive_file
        and closure.archive_expires_at
        and closure.archive_expires_at > now
    ):
        stored = files.read(closures_dir(ctx) / closure.archive_file)
    if closure is None or stored is None:
        raise NotFound("no archive for this tenant (not made yet, or deleted)")
    return ctx.cipher.decrypt(stored, context=closure.tenant_id.encode())


async def purge(db: AsyncSession, ctx: Context, now: datetime) -> int:
    """Client archives past their date go (their files once that commits), and any file of
    the folder without a closure (a crash between a file and its row)."""
    folder = closures_dir(ctx)
    listed = files.listing(folder) if folder.is_dir() else []
    kept = await repository.closures_with_archives(db)
    swept = files.sweep(listed, {c.archive_file for c in kept if c.archive_file}, now)
    removed = 0
    for closure in kept:
        if (
            closure.archive_file
            and closure.archive_expires_at
            and closure.archive_expires_at <= now
        ):
            files.discard(db, folder / closure.archive_file)
            closure.archive_file = None
            removed += 1
    return removed + swept.removed
