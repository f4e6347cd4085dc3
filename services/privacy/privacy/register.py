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

Rendered as JSON, CSV (one row per purpose, service and data category) or an HTML page.
"""

import csv
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import dialect_insert
from kit.privacy.declarations import PURPOSES, LegalBasis, Purpose
from privacy import processors
from privacy.config import Settings
from privacy.models import Processor, ServiceDeclaration

CONTROLLER = {
    "name": "The benefits platform operator",
    "acting_for": "the works councils (CSE) of the client companies, for their employees",
}


async def store_declarations(
    db: AsyncSession, *, service: str, inventory: list[dict[str, Any]], published_at: datetime
) -> None:
    """Keep what ``service`` declared, unless a later publication is stored already (two
    starts' events may arrive out of order)."""
    insert = dialect_insert(db)
    statement = insert(ServiceDeclaration).values(
        service=service, inventory=inventory, published_at=published_at
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=[ServiceDeclaration.service],
            set_={
                "inventory": statement.excluded.inventory,
                "published_at": statement.excluded.published_at,
            },
            where=ServiceDeclaration.published_at <= statement.excluded.published_at,
        )
    )


@dataclass(frozen=True)
class Declared:
    service: str
    inventory: list[dict[str, Any]]
    published_at: datetime


async def declarations(db: AsyncSession) -> list[Declared]:
    found = await db.scalars(select(ServiceDeclaration).order_by(ServiceDeclaration.service))
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
        "in_eu_eea": processors.in_eea(processor.location),
        "safeguard": processor.safeguard,
        "scope": processors.scope_of(processor),
    }


def _purpose(
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
    outside = [p for p in processor_list if not processors.in_eea(p.location)]
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
        "purposes": [_purpose(p, declared, outside) for p in Purpose],
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


# -- renderings --------------------------------------------------------------------------------

CSV_COLUMNS = (
    "purpose",
    "title",
    "description",
    "legal_basis",
    "article",
    "legal_basis_reason",
    "other_legal_bases",
    "categories_of_people",
    "service",
    "data_category",
    "recipients",
    "transfers_outside_eu",
    "retention",
    "retention_of_tables",
    "security_measures",
)


def _cell(value: str) -> str:
    """A spreadsheet must not take a cell for a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _kept(table: dict[str, Any]) -> str:
    text = f"{table['table']}: {table['kept']}"
    after = table.get("after_erasure")
    if after:
        text += f" (after erasure: {after.get('reason')}, {after.get('years')} years)"
    return text


def to_csv(document: dict[str, Any]) -> str:
    """One row per purpose, service and data category (a purpose no service declared yet
    still has its row, without a category)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for purpose in document["purposes"]:
        basis = purpose["legal_basis"]
        common = {
            "purpose": purpose["purpose"],
            "title": purpose["title"],
            "description": purpose["description"],
            "legal_basis": basis["basis"],
            "article": basis["article"],
            "legal_basis_reason": basis["reason"],
            "other_legal_bases": "; ".join(f"{b['basis']} ({b['article']})" for b in basis["also"]),
            "categories_of_people": "; ".join(purpose["categories_of_people"]),
            "recipients": "; ".join(purpose["recipients"]),
            "transfers_outside_eu": purpose["transfers_outside_eu"],
            "retention": purpose["retention"]["summary"],
            "security_measures": "; ".join(purpose["security_measures"]),
        }
        pairs = [
            (entry["service"], category)
            for entry in purpose["categories_of_data"]
            for category in entry["categories"]
        ] or [("", "")]
        for service, category in pairs:
            tables = [t for t in purpose["retention"]["tables"] if t["service"] == service]
            row = common | {
                "service": service,
                "data_category": category,
                "retention_of_tables": "; ".join(_kept(t) for t in tables),
            }
            writer.writerow([_cell(str(row[c])) for c in CSV_COLUMNS])
    return out.getvalue()


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _list(values: Sequence[Any]) -> str:
    if not values:
        return "<p>none</p>"
    return "<ul>" + "".join(f"<li>{_e(v)}</li>" for v in values) + "</ul>"


def _row(label: str, content: str) -> str:
    return f"<tr><th scope='row'>{_e(label)}</th><td>{content}</td></tr>"


def to_html(document: dict[str, Any]) -> str:
    """A page a person reads (or prints); every value escaped. No inline style or script:
    the gateway's Content-Security-Policy would block them, so tables use ``border``."""
    dpo = document["dpo"]
    controller = document["controller"]
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<title>Register of processing activities</title>",
        "</head><body>",
        "<h1>Register of processing activities (Art. 30(1) GDPR)</h1>",
        f"<p>Generated {_e(document['generated_at'])}.</p>",
        "<h2>Controller and data protection officer</h2><table border='1'>",
        _row("Controller", f"{_e(controller['name'])}, for {_e(controller['acting_for'])}"),
        _row(
            "Data protection officer",
            f"{_e(dpo['name'])}, <a href='mailto:{_e(dpo['email'])}'>{_e(dpo['email'])}</a>, "
            f"{_e(dpo['address'])}",
        ),
        "</table>",
    ]
    if document["services_not_declared"]:
        parts.append(
            "<p><strong>Services whose declarations have not arrived yet:</strong> "
            f"{_e(', '.join(document['services_not_declared']))}</p>"
        )
    for purpose in document["purposes"]:
        basis = purpose["legal_basis"]
        also = "".join(f"; also {_e(b['basis'])} ({_e(b['article'])})" for b in basis["also"])
        data = "".join(
            f"<li><strong>{_e(entry['service'])}</strong>: {_e(', '.join(entry['categories']))}"
            "</li>"
            for entry in purpose["categories_of_data"]
        )
        tables = [f"{t['service']}.{_kept(t)}" for t in purpose["retention"]["tables"]]
        parts += [
            f"<h2 id='{_e(purpose['purpose'])}'>{_e(purpose['title'])}</h2><table border='1'>",
            _row("Purpose", _e(purpose["description"])),
            _row(
                "Legal basis",
                f"{_e(basis['basis'])} ({_e(basis['article'])}): {_e(basis['reason'])}{also}",
            ),
            _row("Categories of people", _list(purpose["categories_of_people"])),
            _row("Categories of data", f"<ul>{data}</ul>" if data else "<p>none declared</p>"),
            _row("Recipients", _list(purpose["recipients"])),
            _row("Transfers outside the EU", _e(purpose["transfers_outside_eu"])),
            _row("Retention", f"<p>{_e(purpose['retention']['summary'])}</p>{_list(tables)}"),
            _row("Security measures", _list(purpose["security_measures"])),
            "</table>",
        ]
    parts += [
        "<h2>Processors (Art. 28)</h2><table border='1'>",
        "<tr><th>Name</th><th>Role</th><th>Data</th><th>Location</th><th>Safeguard</th></tr>",
    ]
    for p in document["processors"]:
        parts.append(
            f"<tr><td>{_e(p['name'])}</td><td>{_e(p['role'])}</td>"
            f"<td>{_e(', '.join(p['data_categories']))}</td><td>{_e(p['location'])}</td>"
            f"<td>{_e(p['safeguard'] or ('not needed (EU/EEA)' if p['in_eu_eea'] else ''))}</td>"
            "</tr>"
        )
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts)
