"""The declarations' texts as a person or a DPO reads them, in their language (``kit.i18n``).

A service's inventory (``SubjectData.inventory()``) travels in English, the language its
declarations are written in; whoever renders it for a reader (the register, the Art. 15
information of an archive) passes it through ``inventory_in``. ``inventory_texts`` and
``purpose_texts`` list exactly the texts these functions translate: the coverage test
(``tests/test_translations.py``) asks the catalogue for each of them.
"""

import copy
from collections.abc import Iterator
from typing import Any

from kit.i18n import Language, translate
from kit.privacy.declarations import PURPOSES, LegalBasis, Purpose, PurposeInfo


def _table_texts(table: dict[str, Any]) -> Iterator[str]:
    yield str(table.get("source") or "")
    yield from (str(r) for r in table.get("recipients", []))
    yield str(table.get("kept") or "")
    lifetime = table.get("lifetime") or {}
    yield str(lifetime.get("reason") or "")
    retention = table.get("retention") or {}
    for key in ("reason", "exemption", "article"):
        yield str(retention.get(key) or "")
    yield from (str(f.get("category") or "") for f in table.get("fields", []))


def inventory_texts(inventory: list[dict[str, Any]]) -> list[str]:
    """Every text of an inventory that a reader reads (what ``inventory_in`` translates)."""
    return [t for table in inventory for t in _table_texts(table) if t]


def inventory_in(inventory: list[dict[str, Any]], lang: Language) -> list[dict[str, Any]]:
    """A copy of ``inventory`` with its texts in ``lang``; keys, names and numbers unchanged."""
    result = copy.deepcopy(inventory)
    for table in result:
        if table.get("source"):
            table["source"] = translate(str(table["source"]), lang)
        table["recipients"] = [translate(str(r), lang) for r in table.get("recipients", [])]
        if table.get("kept"):
            table["kept"] = translate(str(table["kept"]), lang)
        if table.get("lifetime") and table["lifetime"].get("reason"):
            table["lifetime"]["reason"] = translate(str(table["lifetime"]["reason"]), lang)
        if table.get("retention"):
            for key in ("reason", "exemption", "article"):
                if table["retention"].get(key):
                    table["retention"][key] = translate(str(table["retention"][key]), lang)
        for field in table.get("fields", []):
            if field.get("category"):
                field["category"] = translate(str(field["category"]), lang)
    return result


def purpose_texts(info: PurposeInfo) -> list[str]:
    return [
        info.title,
        info.description,
        info.legal_basis_reason,
        *info.categories_of_people,
        *info.recipients,
        info.transfers_outside_eu,
        info.retention,
        *info.security_measures,
    ]


#: Each legal basis in words (the register and the reports show it next to its article).
BASIS_NAMES = {
    LegalBasis.CONSENT: "consent",
    LegalBasis.CONTRACT: "contract",
    LegalBasis.LEGAL_OBLIGATION: "legal obligation",
    LegalBasis.LEGITIMATE_INTERESTS: "legitimate interests",
    LegalBasis.LEGAL_CLAIMS: "legal claims",
}


def basis_name(basis: str, lang: Language) -> str:
    """A legal basis's value (``legal_obligation``) in words in ``lang``; an unknown value as
    it is."""
    try:
        return translate(BASIS_NAMES[LegalBasis(basis)], lang)
    except ValueError:
        return basis


def basis_texts() -> list[str]:
    """Each legal basis's name, article and exemption from erasure."""
    return [t for b in LegalBasis for t in (BASIS_NAMES[b], b.article, b.erasure_exemption)]


def all_purpose_texts() -> list[str]:
    return [t for p in Purpose for t in purpose_texts(PURPOSES[p])] + basis_texts()
