"""Export archives: built when an access or portability request completes, downloaded by the
person it is about, deleted at their date (``archive_days``) or with the person's erasure."""

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.errors import NotFound
from kit.i18n import language
from kit.privacy.protocol import seal_context
from privacy.archives import document, files, repository
from privacy.archives.models import Archive, Download
from privacy.base import subject_data
from privacy.context import Context
from privacy.mailing.service import mail_accounts
from privacy.processors import repository as processors
from privacy.processors.service import in_eea
from privacy.requests import repository as requests
from privacy.requests.models import (
    SIMPLE_ACTIONS,
    Channel,
    Request,
    RequestStatus,
    RequestType,
)

EXPORT_MAIL = (
    "Vos données sont prêtes / Your data is ready",
    "Bonjour,\n\nL'export de vos données demandé sur le site de votre CSE est prêt : "
    "téléchargez-le depuis « Mes données » dans les {days} jours. Si vous n'avez rien demandé, "
    "changez votre mot de passe et prévenez le délégué à la protection des données.\n\n"
    "Hello,\n\nThe export of your data asked for on your works council's site is ready: "
    "download it from 'My data' within {days} days. If you did not ask for it, change your "
    "password and tell the data protection officer.\n",
)


async def _parts(db: AsyncSession, ctx: Context, request: Request) -> dict[str, dict[str, Any]]:
    """The services' sealed answers, opened (and deleted), and privacy's own part."""
    assert request.subject is not None
    parts: dict[str, dict[str, Any]] = {}
    for part in await repository.export_parts(db, request.id):
        action = SIMPLE_ACTIONS[RequestType(request.type)].value
        context = seal_context(request.id, part.service, action)
        content = json.loads(ctx.seal_keys.open(part.sealed, context=context))
        parts[part.service] = {"tables": content["tables"], "inventory": content["inventory"]}
        await db.delete(part)
    own = await subject_data.export(
        db, request.subject, portable_only=request.type == RequestType.PORTABILITY
    )
    parts["privacy"] = {"tables": own, "inventory": subject_data.inventory()}
    return parts


async def make_archive(db: AsyncSession, ctx: Context, request: Request, now: datetime) -> None:
    """The archive of a completed access or portability request; the person is told."""
    assert request.subject is not None
    parts = await _parts(db, ctx, request)
    summary = {
        "id": request.id,
        "type": request.type,
        "received_at": request.received_at.isoformat(),
    }
    registered = await processors.of_register(db, tenant_id=request.tenant_id)
    data = document.build(
        request=summary,
        parts=parts,
        settings=ctx.settings,
        now=now,
        lang=language(request.language),
        processors=[
            {
                "name": p.name,
                "role": p.role,
                "location": p.location,
                "in_eu_eea": in_eea(p.location),
                "safeguard": p.safeguard,
            }
            for p in registered
        ],
    )
    file_name = f"{secrets.token_hex(16)}{files.SUFFIX}"
    # Named only once this transaction commits: a rollback leaves no file behind.
    files.stage(
        db, ctx.archive_path(file_name), ctx.cipher.encrypt(data, context=request.id.encode())
    )
    db.add(
        Archive(
            request_id=request.id,
            file_name=file_name,
            size=len(data),
            created_at=now,
            expires_at=now + timedelta(days=ctx.settings.archive_days),
            downloads=0,
        )
    )
    if request.channel == Channel.TENANT_CLOSURE:
        return  # for the client's archive (privacy.closures), not the person's download
    # The person is told their data was exported (a stolen session would be noticed).
    await mail_accounts(
        db,
        ctx.settings,
        tenant_id=request.tenant_id,
        recipients=[(request.subject, None)],
        subject=EXPORT_MAIL[0],
        text=EXPORT_MAIL[1].format(days=ctx.settings.archive_days),
        marketing=False,
    )


async def discard_archives_of(db: AsyncSession, ctx: Context, subject: str) -> None:
    """An erased person's archives go (their files once the erasure commits)."""
    for old in await repository.archives_of_subject(db, subject):
        files.discard(db, ctx.archive_path(old.file_name))
        await db.delete(old)


async def discard_parts(db: AsyncSession, request_id: str) -> None:
    """The sealed answers of a request that ends without an archive."""
    for part in await repository.export_parts(db, request_id):
        await db.delete(part)


async def download(
    db: AsyncSession, ctx: Context, *, principal: Principal, request_id: str, now: datetime
) -> bytes:
    """The archive, for the person it is about only, while it exists; each download logged."""
    request = await requests.request_in_tenant(
        db, tenant_id=principal.tenant_id, request_id=request_id
    )
    if request is None or request.subject != principal.user_id:
        raise NotFound("request not found")
    found = await repository.archive_of(db, request.id)
    stored = None
    if request.status == RequestStatus.COMPLETED and found is not None and found.expires_at > now:
        stored = files.read(ctx.archive_path(found.file_name))
    if stored is None or found is None:
        raise NotFound(
            "no archive for this request "
            f"(not ready, or deleted after {ctx.settings.archive_days} days)"
        )
    data = ctx.cipher.decrypt(stored, context=request.id.encode())
    found.downloads += 1
    db.add(Download(request_id=request.id, at=now))
    return data


async def purge(db: AsyncSession, ctx: Context, now: datetime) -> int:
    """Archives past their date go (their files once the deletion commits), and so does any
    file without a row (``files.sweep``: left by a crash, or by a rollback before files
    waited for their commit). Returns how many archives and files were removed."""
    assert ctx.settings.exports_dir is not None
    found = files.listing(ctx.settings.exports_dir)  # before the rows: see files.listing
    swept = files.sweep(found, await repository.archive_file_names(db), now)
    expired = await repository.expired_archives(db, now=now)
    for old in expired:
        files.discard(db, ctx.archive_path(old.file_name))
        await db.delete(old)
    return len(expired) + swept.removed
