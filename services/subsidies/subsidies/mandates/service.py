"""SEPA mandates: signed with bank details checked and encrypted, shown masked, revoked.

No HTTP here. The clear values go nowhere: not in a log, not in an error, not in a response.
"""

import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.crypto import AesGcm
from kit.db import new_id
from kit.errors import Invalid, NotFound
from subsidies.base import events, subject_data
from subsidies.mandates import fields, repository
from subsidies.mandates.models import Mandate, MandateStatus
from subsidies.mandates.schemas import MandateIn


async def add_mandate(
    db: AsyncSession, *, cipher: AesGcm, principal: Principal, data: MandateIn, now: datetime
) -> Mandate:
    """Validate, then encrypt each field bound to the new row; the clear values go nowhere."""
    try:
        iban = fields.normalise_iban(data.iban)
        bic = fields.normalise_bic(data.bic)
    except ValueError as exc:
        raise Invalid(str(exc)) from None  # the message names the rule, never the value
    mandate = Mandate(
        id=new_id(),
        reference=f"CSE-{secrets.token_hex(8).upper()}",
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        status=MandateStatus.ACTIVE,
        signed_at=now,
    )
    for field, value in (("holder", data.holder), ("iban", iban), ("bic", bic)):
        setattr(mandate, field, fields.encrypt(cipher, "mandates", mandate.id, field, value))
    db.add(mandate)
    await db.flush()
    await subject_data.record_personal_data(
        db, events, subject=principal.user_id, tenant=principal.tenant_id
    )
    return mandate


def masked(cipher: AesGcm, mandate: Mandate) -> dict[str, str]:
    """The mandate's fields as shown: ``FR76 **** **** 1234``, ``BNPA*******``, ``A. M.``."""
    clear = {
        f: fields.decrypt(cipher, "mandates", mandate.id, f, getattr(mandate, f))
        for f in fields.ENCRYPTED
    }
    return {
        "holder": fields.mask_holder(clear["holder"]),
        "iban": fields.mask_iban(clear["iban"]),
        "bic": fields.mask_bic(clear["bic"]),
    }


async def own_mandate(db: AsyncSession, *, principal: Principal, mandate_id: str) -> Mandate:
    mandate = await repository.own_mandate(
        db, tenant_id=principal.tenant_id, user_id=principal.user_id, mandate_id=mandate_id
    )
    if mandate is None:
        raise NotFound("mandate not found")
    return mandate


async def revoke_mandate(db: AsyncSession, *, principal: Principal, mandate_id: str) -> Mandate:
    mandate = await own_mandate(db, principal=principal, mandate_id=mandate_id)
    mandate.status = MandateStatus.REVOKED
    return mandate
