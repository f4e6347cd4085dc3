"""The register of processing activities (Art. 30(1)), generated, never written by hand (PR7).

Sources:
- what each service declared about its columns and tables (``SubjectData.inventory()``),
  published by its worker at start (``declarations.published``) and kept here, the latest per
  service, in ``service_declarations``: categories of data per purpose, other legal bases,
  per-table retention, the tables' recipients;
- ``kit.privacy.declarations.PURPOSES``: title, description, main legal basis, categories of
  people, recipients, transfers, retention summary and security measures of each purpose;
- the processors (``privacy.processors``): the platform's and the tenant's own, never another
  tenant's; and the DPO's contact (settings).

Rendered as JSON, CSV (one row per purpose, service and data category) or an HTML page
(``privacy.register.render``), in the reader's language (``kit.i18n``: the declarations'
English texts are translated here, where they are read; codes, names and numbers stay).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.i18n import Language, translate
from kit.privacy.declarations import PURPOSES, LegalBasis, Purpose
from kit.privacy.readable import basis_name, inventory_in
from privacy.config import Settings
from privacy.processors import repository as processors
from privacy.processors.models import Processor
from privacy.processors.service import in_eea, scope_of
from privacy.register import repository

CONTROLLER = {
    "name": "The benefits platform operator",
    "acting_for": "the works councils (CSE) of the client companies, for their employees",
}


@dataclass(frozen=True)
class Declared:
    service: str
    inventory: list[dict[str, Any]]
    published_at: datetime


async def declarations(db: AsyncSession) -> list[Declared]:
    found = await repository.declarations(db)
    return [Declared(d.service, d.inventory, d.published_at) for d in found]


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def processor_entry(processor: Processor, lang: Language = "en") -> dict[str, Any]:
    """A processor as the register lists it; the texts of the defaults in ``lang`` (a text
    the catalogue does not know, one a DPO typed, as it was written)."""
    return {
        "id": processor.id,
        "name": translate(processor.name, lang),
        "role": translate(processor.role, lang),
        "data_categories": [translate(c, lang) for c in processor.data_categories],
        "location": processor.location,
        "in_eu_eea": in_eea(processor.location),
        "safeguard": processor.safeguard,
        "scope": scope_of(processor),
    }


def purpose_entry(
    purpose: Purpose,
    declared: Sequence[Declared],
    outside: Sequence[Processor],
    lang: Language = "en",
) -> dict[str, Any]:
    """One purpose of the register, its texts in ``lang``. A category of data is shown in
    ``lang`` (``categories``) and keeps its declared name (``codes``, in the same order): what
    a breach's scope names (``privacy.breaches``)."""
    info = PURPOSES[purpose]

    def tr(text: str) -> str:
        return translate(text, lang)

    categories: dict[str, set[str]] = {}
    bases: set[str] = set()
    recipients = [tr(r) for r in info.recipients]
    tables = []
    for declaration in declared:
        for table in declaration.inventory:
            fields = [f for f in table.get("fields", []) if f.get("purpose") == purpose.value]
            if not fields:
                continue
            categories.setdefault(declaration.service, set()).update(
                str(f["category"]) for f in fields
            )
            bases.update(str(f["basis"]) for f in fields)
            [readable] = inventory_in([table], lang)
            recipients += [str(r) for r in readable.get("recipients", [])]
            tables.append(
                {
                    "service": declaration.service,
                    "table": table.get("table"),
                    "kept": readable.get("kept"),
                    "after_erasure": readable.get("retention"),
                }
            )
    others = sorted((bases & {b.value for b in LegalBasis}) - {info.legal_basis.value})
    transfers = (
        "; ".join(f"{tr(p.name)} ({p.location}): {p.safeguard}" for p in outside)
        if outside
        else tr(info.transfers_outside_eu)
    )
    return {
        "purpose": purpose.value,
        "title": tr(info.title),
        "description": tr(info.description),
        "legal_basis": {
            "basis": info.legal_basis.value,
            "name": basis_name(info.legal_basis.value, lang),
            "article": tr(info.legal_basis_article),
            "reason": tr(info.legal_basis_reason),
            "also": [
                {
                    "basis": b,
                    "name": basis_name(b, lang),
                    "article": tr(LegalBasis(b).article),
                }
                for b in others
            ],
        },
        "categories_of_people": [tr(c) for c in info.categories_of_people],
        "categories_of_data": [
            {
                "service": service,
                "categories": [tr(c) for c in sorted(found, key=tr)],
                "codes": sorted(found, key=tr),
            }
            for service, found in sorted(categories.items())
        ],
        "recipients": _unique(recipients),
        "transfers_outside_eu": transfers,
        "retention": {"summary": tr(info.retention), "tables": tables},
        "security_measures": [tr(m) for m in info.security_measures],
    }


def build(
    *,
    declared: Sequence[Declared],
    processor_list: Sequence[Processor],
    settings: Settings,
    now: datetime,
    lang: Language = "en",
) -> dict[str, Any]:
    """The register as a document (what ``?format=json`` answers), its texts in ``lang``."""
    expected = {*settings.participants, settings.service_name}
    outside = [p for p in processor_list if not in_eea(p.location)]
    return {
        "language": lang,
        "generated_at": now.isoformat(),
        "controller": {k: translate(v, lang) for k, v in CONTROLLER.items()},
        "dpo": {
            "name": settings.dpo_name,
            "email": settings.dpo_email,
            "address": settings.dpo_address,
        },
        "services": [
            {"service": d.service, "published_at": d.published_at.isoformat()} for d in declared
        ],
        "services_not_declared": sorted(expected - {d.service for d in declared}),
        "purposes": [purpose_entry(p, declared, outside, lang) for p in Purpose],
        "processors": [processor_entry(p, lang) for p in processor_list],
    }


async def register(
    db: AsyncSession,
    settings: Settings,
    now: datetime,
    *,
    tenant_id: str,
    lang: Language = "en",
) -> dict[str, Any]:
    """The register of ``tenant_id``'s DPO, in ``lang``."""
    return build(
        declared=await declarations(db),
        processor_list=await processors.of_register(db, tenant_id=tenant_id),
        settings=settings,
        now=now,
        lang=lang,
    )
