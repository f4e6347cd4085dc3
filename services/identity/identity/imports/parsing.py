"""Reading the employees' CSV: the encoding, the header, and every line checked against the
file's rules and the company's email domains. Errors name a line, never an address or a
name."""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import TypeAdapter, ValidationError

from identity.accounts.schemas import Email
from identity.imports.schemas import LineError
from kit.errors import Invalid
from kit.schemas import clean_text

NAME_MAX = 100

#: Accepted column names (case-insensitive, blanks and underscores alike), French or English.
COLUMNS = {
    "email": "email",
    "e-mail": "email",
    "e_mail": "email",
    "courriel": "email",
    "first_name": "first_name",
    "firstname": "first_name",
    "prénom": "first_name",
    "prenom": "first_name",
    "last_name": "last_name",
    "lastname": "last_name",
    "nom": "last_name",
    "nom_de_famille": "last_name",
    "role": "role",
    "rôle": "role",
    "employee_number": "employee_number",
    "employee_id": "employee_number",
    "matricule": "employee_number",
}
REQUIRED = ("email", "first_name", "last_name")
#: What the role column may say: the employee role only (blank means employee).
EMPLOYEE_ROLE = frozenset({"", "employee", "employé", "employe", "salarié", "salarie"})

OUTSIDE_DOMAINS = "email outside the company's domains"
_email = TypeAdapter(Email)


@dataclass(frozen=True)
class Line:
    """A good line of the file."""

    number: int
    email: str
    first_name: str
    last_name: str
    #: The employer's employee number (optional column; None when absent or blank): what a
    #: first sign-in through the employer's directory is matched by (``identity.oidc``).
    employee_number: str | None = None


@dataclass
class Parsed:
    lines: list[Line] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    #: Every address written in the file, good line or not: nobody on any line is deactivated.
    mentioned: set[str] = field(default_factory=set)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (Excel's French "CSV" export)."""
    if not data.strip():
        raise Invalid("the file is empty")
    if b"\x00" in data:
        raise Invalid("not a CSV file: save it as CSV (UTF-8 or Windows-1252)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise Invalid("not a CSV file: save it as CSV (UTF-8 or Windows-1252)") from None


def _column(name: str) -> str | None:
    key = re.sub(r"[\s_]+", "_", unicodedata.normalize("NFC", name).strip().lower())
    return COLUMNS.get(key)


def _header(record: Sequence[str]) -> dict[str, int]:
    """Column name -> index; a file error (422) when a required column is missing."""
    columns: dict[str, int] = {}
    for index, name in enumerate(record):
        column = _column(name)
        if column is None:
            continue  # other columns (a service, a phone) are ignored, never stored
        if column in columns:
            raise Invalid(f"the column {column} appears twice in the header")
        columns[column] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise Invalid(
            f"missing columns: {', '.join(missing)}; the first line must name the columns "
            "email, first_name, last_name and optionally role (or courriel, prénom, nom)"
        )
    return columns


def _name(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} missing")
    try:
        clean_text(value)
    except ValueError:
        raise ValueError(f"{what} contains control characters") from None
    if len(value) > NAME_MAX:
        raise ValueError(f"{what} longer than {NAME_MAX} characters")
    return value


def _records(text: str) -> Iterable[tuple[int, list[str]]]:
    """(line number where the record starts, fields), skipping blank lines."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for record in reader:
            if any(value.strip() for value in record):
                yield start, record
            start = reader.line_num + 1
    except csv.Error:
        raise Invalid(
            f"the CSV cannot be read at line {start}: a misplaced or unclosed quote"
        ) from None


def parse(data: bytes, domains: Iterable[str]) -> Parsed:
    """Every line checked against the file's rules and the company's email domains."""
    allowed = {d.strip().lower() for d in domains}
    records = iter(_records(decode(data)))
    header = next(records, None)
    if header is None:
        raise Invalid("the file is empty")
    columns = _header(header[1])
    parsed, seen = Parsed(), dict[str, int]()
    for number, record in records:
        try:
            line = _line(number, record, columns, allowed, seen, parsed.mentioned)
            _unique_number(line, seen)
            parsed.lines.append(line)
        except ValueError as exc:
            parsed.errors.append(LineError(line=number, error=str(exc)))
    if not parsed.lines and not parsed.errors:
        raise Invalid("the file has a header but no employee")
    return parsed


def _line(
    number: int,
    record: list[str],
    columns: dict[str, int],
    allowed: set[str],
    seen: dict[str, int],
    mentioned: set[str],
) -> Line:
    """A good line, or ValueError with the line's error (never quoting the line)."""
    if len(record) <= max(columns[c] for c in REQUIRED):
        raise ValueError("missing fields")
    raw = record[columns["email"]].strip().lower()
    if raw:
        mentioned.add(raw)
    try:
        email = _email.validate_python(raw)
    except ValidationError:
        raise ValueError("invalid email address") from None
    if email.rsplit("@", 1)[1] not in allowed:
        raise ValueError(OUTSIDE_DOMAINS)
    if email in seen:
        raise ValueError(f"same email as line {seen[email]}")
    seen[email] = number
    first = _name(record[columns["first_name"]], "first name")
    last = _name(record[columns["last_name"]], "last name")
    role = record[columns["role"]] if columns.get("role", len(record)) < len(record) else ""
    if role.strip().lower() not in EMPLOYEE_ROLE:
        raise ValueError("only the employee role can be imported")
    return Line(number, email, first, last, _employee_number(record, columns))


NUMBER_MAX = 64


def _employee_number(record: list[str], columns: dict[str, int]) -> str | None:
    index = columns.get("employee_number")
    value = record[index].strip() if index is not None and index < len(record) else ""
    if not value:
        return None
    if len(value) > NUMBER_MAX or not value.isprintable():
        raise ValueError(f"employee number longer than {NUMBER_MAX} characters or not printable")
    return value


def _unique_number(line: Line, seen: dict[str, int]) -> None:
    """A number on two lines: the second is an error (``seen`` keeps numbers prefixed)."""
    if line.employee_number is None:
        return
    key = "\x00number:" + line.employee_number
    if key in seen:
        raise ValueError(f"same employee number as line {seen[key]}")
    seen[key] = line.number
