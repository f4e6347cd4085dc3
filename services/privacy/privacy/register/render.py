"""The register as CSV (one row per purpose, service and data category) or an HTML page."""

import csv
import html
import io
from collections.abc import Sequence
from typing import Any

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
        exemption = f"; {after['exemption']}" if after.get("exemption") else ""
        text += f" (after erasure: {after.get('reason')}, {after.get('years')} years{exemption})"
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


#: Shared with the processor's record (``privacy.clients.render``): the same cells and escaping.
cell, escape, listed, row = _cell, _e, _list, _row
