"""The data map: the services announce whom they hold data on (``personal_data.recorded``)."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.events import Envelope
from privacy.base import subject_data
from privacy.datamap import repository
from privacy.datamap.models import DataMapEntry
from privacy.erasures import repository as erasures


async def record(db: AsyncSession, envelope: Envelope, now: datetime) -> None:
    """Who holds what on whom: the categories a service now holds on the person."""
    if not envelope.subject or not envelope.tenant:
        return
    if await erasures.is_forgotten(db, subject_data.subject_key(envelope.subject)):
        return  # a late mark about someone already erased: nothing to map
    service = str(envelope.payload["service"])
    entry = await repository.entry(db, subject=envelope.subject, service=service)
    categories = sorted(str(c) for c in envelope.payload.get("categories", []))
    if entry is None:
        db.add(
            DataMapEntry(
                subject=envelope.subject,
                service=service,
                tenant_id=envelope.tenant,
                categories=categories,
                updated_at=now,
            )
        )
    else:
        entry.categories, entry.updated_at = categories, now
