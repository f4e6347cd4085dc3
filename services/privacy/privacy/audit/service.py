"""The audit trail (PR10): every read or change of a person's data by someone else, as the
services record it (``audit.recorded``), kept ``audit_retention_days``."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kit.events import Envelope
from privacy.audit import repository
from privacy.audit.models import AuditEntry
from privacy.base import subject_data
from privacy.config import Settings
from privacy.erasures import repository as erasures


async def record(db: AsyncSession, envelope: Envelope) -> None:
    """One row per person whose data was read or changed by someone else."""
    payload = envelope.payload
    if envelope.tenant is None:
        return
    at = datetime.fromisoformat(str(payload["at"]))
    for subject in payload.get("subjects", []):
        key = subject_data.subject_key(str(subject))
        forgotten = await erasures.is_forgotten(db, key)
        db.add(
            AuditEntry(
                tenant_id=envelope.tenant,
                subject=None if forgotten else str(subject),
                subject_key=key if forgotten else None,
                actor_id=str(payload["actor"]),
                actor_roles=[str(r) for r in payload.get("actor_roles", [])],
                service=str(payload["service"])[:40],
                action=str(payload["action"])[:10],
                what=str(payload["what"])[:100],
                route=str(payload["route"])[:200],
                at=at,
            )
        )


async def purge(db: AsyncSession, settings: Settings, now: datetime) -> int:
    """The audit trail's own retention."""
    return await repository.delete_audit_before(
        db, before=now - timedelta(days=settings.audit_retention_days)
    )
