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
(``privacy.register.render``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.privacy.declarations import PURPOSES, LegalBasis, Purpose
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


def processor_entry(processor: Processor) -> dict[str, Any]:
    return {
        "id": processor.id,
        "name": processor.name,
        "role": processor.role,
        "data_categories": list(processor.data_categories),
        "location": processor.location,
        "in_eu_eea": in_eea(processor.location),
        "safeguard": processor.safeguard,
        "scope": scope_of(processor),
    }


def purpose_entry(
    purpose: Purpose, declared: Sequence[Declared], outside: Sequence[Processor]
) -> dict[str, Any]:
    info = PURPOSES[purpose]
    categories: dict[str, set[str]] = {}
    bases: set[str] = set()
    recipients = list(info.recipients)
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
            recipients += [str(r) for r in table.get("recipients", [])]
            tables.append(
                {
                    "service": declaration.service,
                    "table": table.get("table"),
                    "kept": table.get("kept"),
                    "after_erasure": table.get("retention"),
                }
            )
    others = sorted((bases & {b.value for b in LegalBasis}) - {info.legal_basis.value})
    transfers = (
        "; ".join(f"{p.name} ({p.location}): {p.safeguard}" for p in outside)
        if outside
        else info.transfers_outside_eu
    )
    return {
        "purpose": purpose.value,
        "title": info.title,
        "description": info.description,
        "legal_basis": {
            "basis": info.legal_basis.value,
            "article": info.legal_basis_article,
            "reason": info.legal_basis_reason,
            "also": [{"basis": b, "article": LegalBasis(b).article} for b in others],
        },
        "categories_of_people": list(info.categories_of_people),
        "categories_of_data": [
            {"service": service, "categories": sorted(found)}
            for service, found in sorted(categories.items())
        ],
        "recipients": _unique(recipients),
        "transfers_outside_eu": transfers,
        "retention": {"summary": info.retention, "tables": tables},
        "security_measures": list(info.security_measures),
    }


def build(
    *,
    declared: Sequence[Declared],
    processor_list: Sequence[Processor],
    settings: Settings,
    now: datetime,
) -> dict[str, Any]:
    """The register as a document (what ``?format=json`` answers)."""
    expected = {*settings.participants, settings.service_name}
    outside = [p for p in processor_list if not in_eea(p.location)]
    return {
        "generated_at": now.isoformat(),
        "controller": CONTROLLER,
        "dpo": {
            "name": settings.dpo_name,
            "email": settings.dpo_email,
            "address": settings.dpo_address,
        },
        "services": [
            {"service": d.service, "published_at": d.published_at.isoformat()} for d in declared
        ],
        "services_not_declared": sorted(expected - {d.service for d in declared}),
        "purposes": [purpose_entry(p, declared, outside) for p in Purpose],
        "processors": [processor_entry(p) for p in processor_list],
    }


async def register(
    db: AsyncSession, settings: Settings, now: datetime, *, tenant_id: str
) -> dict[str, Any]:
    """The register of ``tenant_id``'s DPO."""
    return build(
        declared=await declarations(db),
        processor_list=await processors.of_register(db, tenant_id=tenant_id),
        settings=settings,
        now=now,
    )
