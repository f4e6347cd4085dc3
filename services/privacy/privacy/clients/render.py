"""The Art. 30(2) record as CSV (one row per purpose, service and data category, then one per
sub-processor) or an HTML page; the same formats as the controller's register."""

import csv
import io
from typing import Any

from kit.i18n import Language, language, text
from privacy.register.render import cell, escape, listed, row

CSV_COLUMNS = (
    "section",
    "controller",
    "contract",
    "processor",
    "dpo",
    "purpose",
    "title",
    "categories_of_people",
    "service",
    "data_category",
    "subprocessor",
    "subprocessor_role",
    "location",
    "safeguard",
    "status",
    "transfers_outside_eu",
    "security_measures",
)


#: The two kinds of rows (the ``section`` column's values), translated like the header.
SECTIONS = ("processing", "subprocessor")


def csv_header(lang: Language) -> list[str]:
    """The CSV's header in ``lang``: the columns' names translated (English: as they are)."""
    return [text(column, lang) for column in CSV_COLUMNS]


def to_csv(record: dict[str, Any]) -> str:
    """The header and the sections in the record's language, like the controller's register."""
    lang = language(record.get("language"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_header(lang))
    dpo = record["processor"]["dpo"]
    common = {
        "controller": record["controller"]["name"],
        "contract": record["controller"]["contract_text"],
        "processor": record["processor"]["name"],
        "dpo": f"{dpo['name']}, {dpo['email']}, {dpo['address']}",
        "transfers_outside_eu": record["transfers_text"],
        "security_measures": "; ".join(record["security_measures"]),
    }
    blank = dict.fromkeys(CSV_COLUMNS, "")
    for purpose in record["categories_of_processing"]:
        pairs = [
            (entry["service"], category)
            for entry in purpose["categories_of_data"]
            for category in entry["categories"]
        ] or [("", "")]
        for service, category in pairs:
            line = (
                blank
                | common
                | {
                    "section": text("processing", lang),
                    "purpose": purpose["purpose"],
                    "title": purpose["title"],
                    "categories_of_people": "; ".join(purpose["categories_of_people"]),
                    "service": service,
                    "data_category": category,
                }
            )
            writer.writerow([cell(str(line[c])) for c in CSV_COLUMNS])
    for sub in record["subprocessors"]:
        line = (
            blank
            | common
            | {
                "section": text("subprocessor", lang),
                "subprocessor": sub["name"],
                "subprocessor_role": sub["role"],
                "data_category": ", ".join(sub["data_categories"]),
                "location": sub["location"],
                "safeguard": sub["safeguard"] or "",
                "status": sub["status_text"],
            }
        )
        writer.writerow([cell(str(line[c])) for c in CSV_COLUMNS])
    return out.getvalue()


def to_html(record: dict[str, Any]) -> str:
    """A page the client reads or prints; every value escaped, no inline style or script."""
    controller, processor = record["controller"], record["processor"]
    dpo = processor["dpo"]
    lang = language(record.get("language"))

    def w(label: str) -> str:
        return escape(text(label, lang))

    parts = [
        "<!DOCTYPE html>",
        f"<html lang='{escape(record['language'])}'><head><meta charset='utf-8'>",
        f"<title>{escape(record['title'])}</title>",
        "</head><body>",
        f"<h1>{escape(record['title'])}</h1>",
        f"<p>{escape(record['generated_at'])}</p>",
        "<table border='1'>",
        row("Controller", escape(controller["name"]), lang),
        row("Contract", escape(controller["contract_text"]), lang),
        row("Processor", escape(processor["name"]), lang),
        row(
            "DPO",
            f"{escape(dpo['name'])}, <a href='mailto:{escape(dpo['email'])}'>"
            f"{escape(dpo['email'])}</a>, {escape(dpo['address'])}",
            lang,
        ),
        row("Transfers outside the EU/EEA", escape(record["transfers_text"]), lang),
        row("Security measures (Art. 32)", listed(record["security_measures"], lang), lang),
        "</table>",
    ]
    for purpose in record["categories_of_processing"]:
        data = "".join(
            f"<li><strong>{escape(e['service'])}</strong>: {escape(', '.join(e['categories']))}"
            "</li>"
            for e in purpose["categories_of_data"]
        )
        parts += [
            f"<h2 id='{escape(purpose['purpose'])}'>{escape(purpose['title'])}</h2>",
            "<table border='1'>",
            row("Categories of people", listed(purpose["categories_of_people"], lang), lang),
            row("Categories of data", f"<ul>{data}</ul>" if data else "<p>-</p>", lang),
            "</table>",
        ]
    heads = "".join(
        f"<th>{w(label)}</th>" for label in ("Name", "Role", "Location", "Safeguard", "Status")
    )
    parts += [
        f"<h2>{w('Sub-processors (Art. 28(2), 28(4))')}</h2><table border='1'>",
        f"<tr>{heads}</tr>",
    ]
    for sub in record["subprocessors"]:
        parts.append(
            f"<tr><td>{escape(sub['name'])}</td><td>{escape(sub['role'])}</td>"
            f"<td>{escape(sub['location'])}</td><td>{escape(sub['safeguard'] or '')}</td>"
            f"<td>{escape(sub['status_text'])}</td></tr>"
        )
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts)
