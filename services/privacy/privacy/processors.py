"""Processors (Art. 28) the platform uses, and where they process the data (PR9).

A processor in the EU/EEA needs nothing more; one elsewhere needs a documented safeguard of
Chapter V (an adequacy decision, standard contractual clauses, binding corporate rules...), or
it is refused. The list is the platform's (no tenant): the register of processing includes it.

Three defaults (hosting, email relay, payment provider) are written the first time the list is
read empty, with fixed ids, so two first reads at once write them once.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import dialect_insert
from kit.errors import Invalid, NotFound
from privacy.models import Processor

#: The 27 EU member states, then Iceland, Liechtenstein and Norway (the EEA).
_EU_EEA = (
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO"
)
EU_EEA = frozenset(_EU_EEA.split())

#: Every officially assigned ISO 3166-1 alpha-2 code.
_ISO_3166 = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW
"""
ISO_3166 = frozenset(_ISO_3166.split())
assert EU_EEA <= ISO_3166

_SEED_NAMESPACE = uuid.UUID("5b1e6a0c-4f0e-4d63-9a8e-6f1f3c0d2a71")


@dataclass(frozen=True)
class Default:
    name: str
    role: str
    data_categories: tuple[str, ...]
    location: str

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_SEED_NAMESPACE, self.name))


DEFAULTS = (
    Default(
        "Hosting provider",
        "hosting of the servers, databases and backups",
        ("every category the platform holds",),
        "FR",
    ),
    Default(
        "Email relay",
        "delivery of the platform's emails",
        ("contact", "identity", "the content of the mails"),
        "FR",
    ),
    Default(
        "Payment provider",
        "card payments and SEPA direct debits",
        ("contact", "purchase", "bank details", "direct debit mandate"),
        "FR",
    ),
)


def in_eea(location: str) -> bool:
    return location.upper() in EU_EEA


def check_location(location: str, safeguard: str | None) -> str:
    """The code, upper-cased; 422 for an unknown code, and for a country outside the EU/EEA
    without a safeguard."""
    code = location.strip().upper()
    if code not in ISO_3166:
        raise Invalid("location must be an ISO 3166-1 alpha-2 country code, such as FR or DE")
    if code not in EU_EEA and not (safeguard and safeguard.strip()):
        raise Invalid(
            f"{code} is outside the EU/EEA: a transfer there needs a safeguard of Chapter V "
            "GDPR (an adequacy decision, standard contractual clauses, binding corporate "
            "rules...), given in 'safeguard'"
        )
    return code


async def seed_defaults(db: AsyncSession, now: datetime) -> None:
    """Write the defaults when none exists; harmless when run twice at once (fixed ids)."""
    if await db.scalar(select(Processor.id).limit(1)) is not None:
        return
    insert = dialect_insert(db)
    rows = [
        {
            "id": d.id,
            "name": d.name,
            "role": d.role,
            "data_categories": list(d.data_categories),
            "location": d.location,
            "safeguard": None,
            "created_at": now + timedelta(microseconds=i),  # listed in this order
        }
        for i, d in enumerate(DEFAULTS)
    ]
    await db.execute(insert(Processor).values(rows).on_conflict_do_nothing())


async def list_processors(db: AsyncSession, now: datetime) -> Sequence[Processor]:
    await seed_defaults(db, now)
    found = await db.scalars(select(Processor).order_by(Processor.created_at, Processor.name))
    return found.all()


async def add(
    db: AsyncSession,
    *,
    name: str,
    role: str,
    data_categories: list[str],
    location: str,
    safeguard: str | None,
    now: datetime,
) -> Processor:
    code = check_location(location, safeguard)
    await seed_defaults(db, now)  # the defaults come first, not instead of this one later
    processor = Processor(
        name=name,
        role=role,
        data_categories=data_categories,
        location=code,
        safeguard=safeguard.strip() if safeguard and safeguard.strip() else None,
        created_at=now,
    )
    db.add(processor)
    await db.flush()
    return processor


async def remove(db: AsyncSession, processor_id: str) -> None:
    result = await db.execute(delete(Processor).where(Processor.id == processor_id))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound("no such processor")
