"""What the privacy service does about an erased person: it remembers them by keyed hash only
(the ``forgotten`` table and the erasure journal), keeps its own records of them under that
hash, and after a backup is restored has every service erase them again (``replay``)."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import mark_erasure
from kit.privacy.protocol import COMMAND, Action, command_key
from privacy.audit import repository as audit
from privacy.base import events, subject_data
from privacy.closures import repository as closures
from privacy.config import Settings
from privacy.consents import repository as consents
from privacy.datamap import repository as datamap
from privacy.erasures import journal, repository
from privacy.erasures.models import Forgotten
from privacy.requests import repository as requests


async def remember(
    db: AsyncSession,
    settings: Settings,
    *,
    key: str,
    tenant_id: str,
    request_id: str,
    now: datetime,
) -> None:
    """The person ``key`` is erased: a line in the journal, a row in ``forgotten``."""
    journal.append(settings, subject_key=key, tenant_id=tenant_id, at=now)
    if not await repository.is_forgotten(db, key):
        db.add(
            Forgotten(subject_key=key, tenant_id=tenant_id, request_id=request_id, erased_at=now)
        )


async def forget_records(db: AsyncSession, *, subject: str, key: str) -> None:
    """Our own records of an erased person keep the keyed hash and the reports, nothing else;
    the transaction is an erasure (``kit.db.mark_erasure``: nothing stays in SQLite's files)."""
    mark_erasure(db)
    await requests.forget(db, subject=subject, key=key)
    await datamap.forget(db, subject)
    await audit.forget(db, subject=subject, key=key)
    # Consents go; their history stays as the proof, under the keyed hash.
    await consents.forget(db, subject=subject, key=key)
    await closures.forget(db, subject=subject, key=key)


async def replay(db: AsyncSession, settings: Settings, now: datetime) -> int:
    """Merge the journal into ``forgotten`` (a restored privacy database gets back the erasures
    made since its backup), forget again in privacy's own tables whoever matches, and send the
    list to every service of the registry. Returns how many people it names."""
    known = await repository.forgotten_keys(db)
    for entry in journal.entries(settings):
        if entry["subject_key"] not in known:
            known.add(entry["subject_key"])
            db.add(
                Forgotten(
                    subject_key=entry["subject_key"],
                    tenant_id=entry.get("tenant_id", ""),
                    request_id="journal",
                    erased_at=now,
                )
            )
    keys = sorted(known)
    # Privacy's own tables (a restored privacy database): forget them again too.
    for subject in await subject_data.subjects(db):
        key = subject_data.subject_key(subject)
        if key in known:
            await forget_records(db, subject=subject, key=key)
    replay_id = str(uuid.uuid4())
    for service in settings.participants:
        await events.add(
            db,
            COMMAND,
            payload={
                "request_id": replay_id,
                "action": Action.REPLAY_ERASURES.value,
                "subject": "",
                "subject_keys": keys,
            },
            routing_key=command_key(service),
        )
    return len(keys)
