"""What an export archive holds: one zip per access or portability request.

Inside: a JSON file per service, a CSV per table, ``manifest.json`` with the Art. 15
information (purposes, legal bases, categories, recipients, retention, source, rights, how to
complain) and ``README.txt``, a short summary in plain words. Encrypted at rest and kept on
disk by ``privacy.archives.files``.

The manifest's keys are the same in every language; its texts (and the README) are in the
language of the request (recorded at filing from ``Accept-Language``): the declarations'
English texts and the fixed ones below go through the catalogue (``kit.i18n``).
"""

import csv
import io
import json
import zipfile
from collections import defaultdict
from datetime import datetime
from typing import Any

from kit.i18n import Language, text, translate
from kit.privacy.declarations import PURPOSES, Purpose
from kit.privacy.readable import basis_name, inventory_in
from privacy.config import Settings

RIGHTS = {
    "access": "Art. 15: a copy of everything we hold about you (this archive).",
    "rectification": "Art. 16: have wrong data corrected.",
    "erasure": "Art. 17: have your data erased, except what the law makes us keep.",
    "restriction": "Art. 18: have your data frozen: kept, but not used.",
    "portability": "Art. 20: the data you gave us, in a machine-readable form.",
    "objection": "Art. 21: object to a processing, always to marketing.",
}
COMPLAINT = (
    "You can complain to the CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07, "
    "France, https://www.cnil.fr/fr/plaintes"
)


CONTROLLER = "The benefits platform operator, on behalf of your employer's works council"
NO_RECIPIENT = "none outside the platform"
NO_AUTOMATED_DECISION = "none"


def processor_recipient(processor: dict[str, Any], lang: Language = "en") -> str:
    """A processor as a recipient (Art. 15(1)(c)): who, for what, where."""
    return text(
        "{name} ({role}; processor, {location})",
        lang,
        name=translate(processor["name"], lang),
        role=translate(processor["role"], lang),
        location=processor["location"],
    )


def transfers(processors: list[dict[str, Any]], lang: Language = "en") -> list[dict[str, Any]]:
    """Art. 15(1)(c) and 15(2): every processor outside the EU/EEA and its safeguard."""
    return [
        {
            "recipient": translate(p["name"], lang),
            "country": p["location"],
            "safeguard": p["safeguard"],
        }
        for p in processors
        if not p["in_eu_eea"]
    ]


def manifest(
    *,
    request: dict[str, Any],
    inventories: list[dict[str, Any]],
    settings: Settings,
    processors: list[dict[str, Any]],
    lang: Language = "en",
) -> dict[str, Any]:
    """The Art. 15 information, in ``lang``, derived from the services' declarations, the purposes'
    (``kit.privacy.declarations.PURPOSES``) and the processors register of the person's
    tenant (``processors``: ``name``, ``role``, ``location``, ``in_eu_eea``, ``safeguard``):
    recipients are the tables', the purposes' (the works council, the payment provider...)
    and every processor (host, mail relay, payment provider...); transfers outside the EU are
    the processors' there, each with its safeguard (an empty list: none)."""
    purposes: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"legal_bases": set(), "categories": set(), "services": set()}
    )
    retention, recipients, sources = [], set(), set()
    for table in inventory_in(inventories, lang):
        sources.add(table["source"])
        recipients.update(table["recipients"])
        for field in table["fields"]:
            entry = purposes[field["purpose"]]
            entry["legal_bases"].add(field["basis"])
            entry["categories"].add(field["category"])
            entry["services"].add(table["service"])
        retention.append(
            {
                "service": table["service"],
                "table": table["table"],
                "kept": table["kept"],
                "after_erasure": table["retention"],
            }
        )
    known = {p.value: p for p in Purpose}
    for name in purposes:
        if name in known:
            recipients.update(translate(r, lang) for r in PURPOSES[known[name]].recipients)
    recipients.update(processor_recipient(p, lang) for p in processors)
    return {
        "language": lang,
        "request": request,
        "controller": text(CONTROLLER, lang),
        "dpo": {
            "name": settings.dpo_name,
            "email": settings.dpo_email,
            "address": settings.dpo_address,
        },
        "purposes": {
            name: {
                **(
                    {"title": translate(PURPOSES[known[name]].title, lang)} if name in known else {}
                ),
                **{k: sorted(v) for k, v in value.items()},
                "legal_bases_in_words": sorted(basis_name(b, lang) for b in value["legal_bases"]),
            }
            for name, value in sorted(purposes.items())
        },
        "recipients": sorted(recipients) or [text(NO_RECIPIENT, lang)],
        "transfers_outside_eu": transfers(processors, lang),
        "retention": retention,
        "sources": sorted(sources),
        "automated_decisions": text(NO_AUTOMATED_DECISION, lang),
        "your_rights": {k: text(v, lang) for k, v in RIGHTS.items()},
        "complaint": text(COMPLAINT, lang),
    }


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    columns = sorted({k for row in rows for k in row})
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in row.items()}
        )
    return out.getvalue()


def build(
    *,
    request: dict[str, Any],
    parts: dict[str, dict[str, Any]],
    settings: Settings,
    now: datetime,
    processors: list[dict[str, Any]],
    lang: Language = "en",
) -> bytes:
    """The zip of one request: ``parts`` maps a service to ``{tables, inventory}``;
    ``processors``: the person's tenant's processors register (``manifest``); its texts in
    ``lang``."""
    inventories = [entry for part in parts.values() for entry in part["inventory"]]
    buffer = io.BytesIO()
    lines = [
        text("Your data on the benefits platform", lang),
        "",
        text(
            "Request {id} ({type}), archive made {when} UTC.",
            lang,
            id=request["id"],
            type=text(str(request["type"]), lang),
            when=f"{now:%Y-%m-%d %H:%M}",
        ),
        "",
        text("What each service holds about you:", lang),
    ]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for service, part in sorted(parts.items()):
            archive.writestr(
                f"{service}.json", json.dumps(part["tables"], indent=2, ensure_ascii=False)
            )
            for table, rows in sorted(part["tables"].items()):
                if rows:
                    archive.writestr(f"csv/{service}/{table}.csv", _csv(rows))
                lines.append(
                    text(
                        "  - {service} / {table}: {count} record(s)",
                        lang,
                        service=service,
                        table=table,
                        count=len(rows),
                    )
                )
        info = manifest(
            request=request,
            inventories=inventories,
            settings=settings,
            processors=processors,
            lang=lang,
        )
        archive.writestr("manifest.json", json.dumps(info, indent=2, ensure_ascii=False))
        lines += [
            "",
            text(
                "manifest.json says why we hold each piece of data (purpose and legal basis), who",
                lang,
            ),
            text("receives it, how long it is kept, where it comes from, and your rights.", lang),
            text(
                "Questions: {email}. {complaint}.",
                lang,
                email=settings.dpo_email,
                complaint=text(COMPLAINT, lang),
            ),
            "",
            text(
                "This archive is deleted from our servers {days} days after it was made.",
                lang,
                days=settings.archive_days,
            ),
        ]
        archive.writestr("README.txt", "\n".join(lines) + "\n")
    return buffer.getvalue()
