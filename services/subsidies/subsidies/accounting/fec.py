"""The journal as a file: the French "fichier des écritures comptables" (FEC, Livre des
procédures fiscales art. A47 A-1: 18 columns in this order, a header line, tab-separated,
dates YYYYMMDD, amounts with a decimal comma, ISO 8859-15) and the same columns as CSV (RFC
4180, UTF-8, ISO dates, amounts with a decimal point, and the entry's budget).

Pure functions of the entries: the same entries always give the same bytes."""

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date

from subsidies.accounting.models import LedgerEntry

#: The 18 columns of article A47 A-1 of the Livre des procédures fiscales, in order.
COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
FEC_ENCODING = "iso8859_15"


def _text(value: str) -> str:
    """No tab or line break inside a field (they separate fields and records)."""
    return " ".join(value.replace("\t", " ").splitlines()).strip()


def _rows(
    entries: Sequence[LedgerEntry], *, day: "type[_Day]", money: "type[_Money]"
) -> Iterator[list[str]]:
    for entry in entries:
        for line in entry.lines:
            yield [
                entry.journal_code,
                _text(entry.journal_label),
                str(entry.number),
                day.of(entry.entry_date),  # the booking: when the entry was written
                line.account_number,
                _text(line.account_label),
                line.aux or "",
                # The auxiliary account's label: the record's id again, never a person's name.
                line.aux or "",
                entry.piece_ref,
                day.of(entry.piece_date),  # the document: when the operation happened
                _text(entry.label),
                money.of(line.debit_cents),
                money.of(line.credit_cents),
                "",
                "",
                day.of(entry.entry_date),  # validated when recorded: entries never change
                "",
                "",
            ]


class _Day:
    @staticmethod
    def of(value: date) -> str:
        return value.strftime("%Y%m%d")


class _IsoDay(_Day):
    @staticmethod
    def of(value: date) -> str:
        return value.isoformat()


class _Money:
    separator = ","

    @classmethod
    def of(cls, cents: int) -> str:
        return f"{cents // 100}{cls.separator}{cents % 100:02d}"


class _PointMoney(_Money):
    separator = "."


def fec(entries: Sequence[LedgerEntry]) -> bytes:
    """The FEC: header, one record per line of each entry, CR LF between records."""
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join(row) for row in _rows(entries, day=_Day, money=_Money)]
    return ("\r\n".join(lines) + "\r\n").encode(FEC_ENCODING, errors="replace")


def as_csv(entries: Sequence[LedgerEntry]) -> bytes:
    """The same columns, and the budget, as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*COLUMNS, "Budget"])
    budgets = [entry.budget for entry in entries for _ in entry.lines]
    for row, budget in zip(_rows(entries, day=_IsoDay, money=_PointMoney), budgets, strict=True):
        writer.writerow([*row, budget])
    return out.getvalue().encode()


def file_name(end: date, extension: str) -> str:
    """``FEC<closing date>``: the administration's name, less the SIREN the platform does not
    hold (the treasurer adds it before filing)."""
    return f"FEC{end:%Y%m%d}.{extension}"
