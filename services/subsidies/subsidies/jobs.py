"""The subsidies service's scheduled work, run by its worker (``worker.py``): the restricted
archive's purge, the rows of live accounts past their lifetime (bookings, grants, ended
mandates), expired holds released, unused mandates lapsed, unchecked family-quotient notices
dropped, bank details and pending notices re-encrypted under the current key."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kit.crypto import AesGcm
from kit.worker import Job, live_retention, retention_purge
from subsidies.campaigns import service as campaigns
from subsidies.config import Settings
from subsidies.context import Context
from subsidies.grants import repository as grants
from subsidies.grants.service import release
from subsidies.mandates import fields
from subsidies.mandates import repository as mandates
from subsidies.mandates.models import MandateStatus
from subsidies.models import subject_data
from subsidies.quotients import service as quotients

Run = Callable[[AsyncSession, datetime], Awaitable[int]]


async def release_expired_holds(db: AsyncSession, now: datetime) -> int:
    """Grants held for orders that never got placed (the order's transaction failed)."""
    return await release(db, await grants.expired_holds(db, now=now), now=now)


def lapse_job(settings: Settings) -> Run:
    async def lapse(db: AsyncSession, now: datetime) -> int:
        """Mandates unused for ``mandate_lapse_months`` lapse (EPC rulebook); a new one must be
        signed."""
        before = now - timedelta(days=round(settings.mandate_lapse_months * 30.44))
        found = await mandates.mandates_to_lapse(db, before=before)
        for mandate in found:
            mandate.status = MandateStatus.LAPSED
        return len(found)

    return lapse


def key_rotation(cipher: AesGcm, limit: int = 200) -> Run:
    async def rotate_batch(db: AsyncSession, _now: datetime) -> int:
        """Re-encrypt, under the current key, mandates and pending family-quotient notices
        still under a retired one."""
        found = await mandates.mandates_not_under(db, key_id=cipher.current, limit=limit)
        for mandate in found:
            for field in fields.ENCRYPTED:
                token = getattr(mandate, field)
                if fields.key_id(token) != cipher.current:
                    clear = fields.decrypt(cipher, "mandates", mandate.id, field, token)
                    sealed = fields.encrypt(cipher, "mandates", mandate.id, field, clear)
                    setattr(mandate, field, sealed)
        return len(found) + await quotients.rotate_documents(db, cipher=cipher, limit=limit)

    return rotate_batch


def scheduled(context: Context) -> list[Job]:
    """Every job of the worker, with how often it runs."""
    return [
        retention_purge(subject_data),
        # Bookings, grants, ended mandates of live accounts past their lifetime (Art. 5(1)(e)).
        live_retention(subject_data),
        Job("expired subsidy holds", 60, release_expired_holds),
        Job("expired voucher holds", 60, campaigns.release_expired_holds),
        Job("mandate lapse", 24 * 3600, lapse_job(context.settings)),
        # The family-quotient notices nobody checked, and the bracket their figures gave.
        Job("unchecked quotient notices", 3600, quotients.drop_unchecked_notices),
        Job("field key rotation", 60, key_rotation(context.cipher)),
    ]
