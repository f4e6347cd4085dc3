"""The register as CSV (one row per purpose, service and data category) or an HTML page."""

import csv
import html
import io
from collections.abc import Sequence
from typing import Any

from kit.i18n import Language, language, text

#: The CSV's columns, in order, and its header in English: in another language the header is
#: their translation from the catalogue (``kit/locales/<lang>.json``), like every other text.
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


def _kept(table: dict[str, Any], lang: Language = "en") -> str:
    line = text("{table}: {kept}", lang, table=table["table"], kept=table["kept"])
    after = table.get("after_erasure")
    if after:
        exemption = f"; {after['exemption']}" if after.get("exemption") else ""
        line += text(
            " (after erasure: {reason}, {years} years{exemption})",
            lang,
            reason=after.get("reason"),
            years=after.get("years"),
            exemption=exemption,
        )
    return line


def _lang(document: dict[str, Any]) -> Language:
    """The document's language (a document built before it was recorded: English)."""
    return language(document.get("language", "en"))


def csv_header(lang: Language) -> list[str]:
    """The CSV's header in ``lang``: the columns' names translated (English: as they are)."""
    return [text(column, lang) for column in CSV_COLUMNS]


def to_csv(document: dict[str, Any]) -> str:
    """One row per purpose, service and data category (a purpose no service declared yet
    still has its row, without a category); the header in the document's language."""
    lang = _lang(document)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_header(lang))
    for purpose in document["purposes"]:
        basis = purpose["legal_basis"]
        common = {
            "purpose": purpose["purpose"],
            "title": purpose["title"],
            "description": purpose["description"],
            "legal_basis": basis.get("name", basis["basis"]),
            "article": basis["article"],
            "legal_basis_reason": basis["reason"],
            "other_legal_bases": "; ".join(
                f"{b.get('name', b['basis'])} ({b['article']})" for b in basis["also"]
            ),
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
                "retention_of_tables": "; ".join(_kept(t, lang) for t in tables),
            }
            writer.writerow([_cell(str(row[c])) for c in CSV_COLUMNS])
    return out.getvalue()


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _list(values: Sequence[Any], lang: Language = "en") -> str:
    if not values:
        return f"<p>{_e(text('none', lang))}</p>"
    return "<ul>" + "".join(f"<li>{_e(v)}</li>" for v in values) + "</ul>"


def _row(label: str, content: str, lang: Language = "en") -> str:
    return f"<tr><th scope='row'>{_e(text(label, lang))}</th><td>{content}</td></tr>"


def to_html(document: dict[str, Any]) -> str:
    """A page a person reads (or prints), in the document's language; every value escaped.
    No inline style or script: the gateway's Content-Security-Policy would block them, so
    tables use ``border``."""
    lang = _lang(document)

    def w(label: str, **values: Any) -> str:
        return _e(text(label, lang, **values))

    def row(label: str, content: str) -> str:
        return _row(label, content, lang)

    def listed(values: Sequence[Any]) -> str:
        return _list(values, lang)

    dpo = document["dpo"]
    controller = document["controller"]
    parts = [
        "<!DOCTYPE html>",
        f"<html lang='{lang}'><head><meta charset='utf-8'>",
        f"<title>{w('Register of processing activities')}</title>",
        "</head><body>",
        f"<h1>{w('Register of processing activities (Art. 30(1) GDPR)')}</h1>",
        f"<p>{w('Generated {when}.', when=document['generated_at'])}</p>",
        f"<h2>{w('Controller and data protection officer')}</h2><table border='1'>",
        row(
            "Controller",
            w("{name}, for {acting_for}", **controller),
        ),
        row(
            "Data protection officer",
            f"{_e(dpo['name'])}, <a href='mailto:{_e(dpo['email'])}'>{_e(dpo['email'])}</a>, "
            f"{_e(dpo['address'])}",
        ),
        "</table>",
    ]
    if document["services_not_declared"]:
        parts.append(
            f"<p><strong>{w('Services whose declarations have not arrived yet:')}</strong> "
            f"{_e(', '.join(document['services_not_declared']))}</p>"
        )
    for purpose in document["purposes"]:
        basis = purpose["legal_basis"]
        also = "".join(
            f"; {w('also')} {_e(b.get('name', b['basis']))} ({_e(b['article'])})"
            for b in basis["also"]
        )
        data = "".join(
            f"<li><strong>{_e(entry['service'])}</strong>: {_e(', '.join(entry['categories']))}"
            "</li>"
            for entry in purpose["categories_of_data"]
        )
        tables = [f"{t['service']}.{_kept(t, lang)}" for t in purpose["retention"]["tables"]]
        parts += [
            f"<h2 id='{_e(purpose['purpose'])}'>{_e(purpose['title'])}</h2><table border='1'>",
            row("Purpose", _e(purpose["description"])),
            row(
                "Legal basis",
                f"{_e(basis.get('name', basis['basis']))} ({_e(basis['article'])}): "
                f"{_e(basis['reason'])}{also}",
            ),
            row("Categories of people", listed(purpose["categories_of_people"])),
            row(
                "Categories of data",
                f"<ul>{data}</ul>" if data else f"<p>{w('none declared')}</p>",
            ),
            row("Recipients", listed(purpose["recipients"])),
            row("Transfers outside the EU", _e(purpose["transfers_outside_eu"])),
            row(
                "Retention",
                f"<p>{_e(purpose['retention']['summary'])}</p>{listed(tables)}",
            ),
            row("Security measures", listed(purpose["security_measures"])),
            "</table>",
        ]
    heads = "".join(
        f"<th>{w(label)}</th>" for label in ("Name", "Role", "Data", "Location", "Safeguard")
    )
    parts += [f"<h2>{w('Processors (Art. 28)')}</h2><table border='1'>", f"<tr>{heads}</tr>"]
    not_needed = text("not needed (EU/EEA)", lang)
    for p in document["processors"]:
        parts.append(
            f"<tr><td>{_e(p['name'])}</td><td>{_e(p['role'])}</td>"
            f"<td>{_e(', '.join(p['data_categories']))}</td><td>{_e(p['location'])}</td>"
            f"<td>{_e(p['safeguard'] or (not_needed if p['in_eu_eea'] else ''))}</td>"
            "</tr>"
        )
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts)


#: Shared with the processor's record (``privacy.clients.render``): the same cells and escaping.
cell, escape, listed, row = _cell, _e, _list, _row
