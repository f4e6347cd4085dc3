"""Processors (Art. 28) the platform uses, and where they process the data (PR9).

A processor in the EU/EEA needs nothing more; one elsewhere needs a documented safeguard of
Chapter V (an adequacy decision, standard contractual clauses, binding corporate rules...), or
it is refused.

Two kinds of entries (issue 14, "trust inside the platform"):
- the platform's (``tenant_id`` None): hosting, email relay, payment provider... Every
  tenant's register of processing lists them, so only the platform administrator keeps them;
  a tenant's DPO sees them and cannot change them (403);
- a tenant's own (``tenant_id`` set): a processor that tenant's works council uses, kept by its
  DPO, listed in that tenant's register only; another tenant's DPO never sees it (404).

The three defaults (hosting, email relay, payment provider) are written once, by the migration
that made the list the platform's (``20261204_0006``): a read never writes, so a default the
platform administrator removed stays removed.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal, Role
from kit.errors import Forbidden, Invalid, NotFound
from privacy.processors import repository
from privacy.processors.models import Processor, ProcessorScope

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


def scope_of(processor: Processor) -> ProcessorScope:
    return ProcessorScope.PLATFORM if processor.tenant_id is None else ProcessorScope.TENANT


def _owner(principal: Principal, scope: ProcessorScope | None) -> str | None:
    """The tenant an entry is kept under (None: the platform's) when ``principal`` adds it.

    Without a scope: the tenant's own for a DPO, the platform's for a platform administrator.
    403 for a scope the caller's role does not keep."""
    if scope is None:
        scope = ProcessorScope.TENANT if Role.DPO in principal.roles else ProcessorScope.PLATFORM
    if scope == ProcessorScope.PLATFORM:
        if Role.PLATFORM_ADMIN not in principal.roles:
            raise Forbidden(
                "the platform's processors are in every tenant's register: only the platform "
                "administrator changes them"
            )
        return None
    if Role.DPO not in principal.roles:
        raise Forbidden("a tenant's own processors are kept by that tenant's DPO")
    return principal.tenant_id


def _may_change(principal: Principal, processor: Processor) -> None:
    _owner(principal, scope_of(processor))


async def add(
    db: AsyncSession,
    *,
    principal: Principal,
    scope: ProcessorScope | None,
    name: str,
    role: str,
    data_categories: list[str],
    location: str,
    safeguard: str | None,
    now: datetime,
) -> Processor:
    owner = _owner(principal, scope)
    code = check_location(location, safeguard)
    processor = Processor(
        tenant_id=owner,
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


async def remove(db: AsyncSession, *, principal: Principal, processor_id: str) -> None:
    """404 for an entry the caller cannot see (another tenant's); 403 for one they see but
    do not keep (a DPO and the platform's list)."""
    found = await repository.visible(db, tenant_id=principal.tenant_id, processor_id=processor_id)
    if found is None:
        raise NotFound("no such processor")
    _may_change(principal, found)
    await db.delete(found)
