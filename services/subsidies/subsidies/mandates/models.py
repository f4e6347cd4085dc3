"""SEPA direct-debit mandates: IBAN, BIC and holder encrypted per field, bound to their row and
field (``mandates.fields``). On erasure a mandate that was used for a collection is kept, still
encrypted and restricted, for the 13 months in which the debtor may claim a refund, then
purged."""

from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import Lifetime, Retention, not_personal, personal, subject_table
from subsidies.base import ACTIVITIES, CONTRACT, ID, OBLIGATION, Base


class MandateStatus(StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"
    REVOKED = "revoked"


#: A mandate no longer usable: a new one must be signed.
ENDED_MANDATES = (MandateStatus.LAPSED.value, MandateStatus.REVOKED.value)

SEPA_RECORD = Retention(
    years=1,
    days=31,
    counted_from="last_collection_at",
    basis=OBLIGATION,
    reason="refund claims on a SEPA direct debit: 13 months (Code monétaire et financier L133-24)",
    keep=("id", "reference"),
)
BANK = personal("bank details (encrypted)", ACTIVITIES, CONTRACT, retained=True, rectifiable=False)
MANDATE = personal("direct debit mandate", ACTIVITIES, CONTRACT, provided=False, retained=True)


class Mandate(Base):
    """A SEPA direct-debit mandate. IBAN, BIC and holder are ciphertext (``kid:...``) bound to
    this row and field; responses show them masked."""

    __tablename__ = "mandates"
    __table_args__ = (
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                retention=SEPA_RECORD,
                kept="while active; 13 months after the last collection once ended",
                # A lapsed or revoked mandate goes once refunds can no longer be claimed (at
                # once when it was never used).
                lifetime=replace(Lifetime.of(SEPA_RECORD), only_when=("status", ENDED_MANDATES)),
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    #: The unique mandate reference (UMR) given to the bank.
    reference: Mapped[str] = mapped_column(String(35), unique=True, info=not_personal("an id"))
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=MANDATE)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=MANDATE)
    holder: Mapped[str] = mapped_column(Text, info=BANK)
    iban: Mapped[str] = mapped_column(Text, info=BANK)
    bic: Mapped[str] = mapped_column(Text, info=BANK)
    #: A ``MandateStatus``.
    status: Mapped[str] = mapped_column(String(20), info=not_personal("active, lapsed, revoked"))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime, info=MANDATE)
    last_collection_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=MANDATE)
