"""Declarations of personal data, next to the models that hold it.

Every column says what it is, in its ``info``: ``personal(...)`` (category, purpose, legal
basis, whether the person provided it, whether the legal record keeps it) or
``not_personal(why)``. Every table that holds data on a person says how to find that person's
rows (``subject_table(...)``) and, where the law makes the service keep a record, for how long
(``Retention``). Export, erasure, rectification, the retention purge and the register of
processing are derived from these declarations, never written by hand per table.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, MetaData, Table

PERSONAL_KEY = "personal"
SUBJECT_KEY = "subject"


class Purpose(StrEnum):
    """The five purposes of the privacy policy; nothing is processed for any other."""

    SITE_COMMUNICATION = "site_communication"
    SOCIAL_ACTIVITIES = "social_cultural_activities"
    ORDER_PROCESSING = "order_processing"
    SUPPORT_REQUESTS = "support_requests"
    PARTNER_LISTING = "partner_listing"


class LegalBasis(StrEnum):
    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTERESTS = "legitimate_interests"

    @property
    def article(self) -> str:
        return {
            "consent": "Art. 6(1)(a) GDPR",
            "contract": "Art. 6(1)(b) GDPR",
            "legal_obligation": "Art. 6(1)(c) GDPR",
            "legitimate_interests": "Art. 6(1)(f) GDPR",
        }[self.value]


@dataclass(frozen=True)
class Retention:
    """A record the law makes us keep after erasure, counted from a date in the same row."""

    years: int
    counted_from: str
    basis: LegalBasis
    reason: str
    days: int = 0
    #: Columns that are not personal but belong to the record (amounts, what was bought).
    keep: tuple[str, ...] = ()

    def until(self, start: datetime | date) -> datetime:
        """``start`` plus the period (29 February counts as 28 in a year without it); a date
        counts from its midnight, UTC."""
        if not isinstance(start, datetime):
            start = datetime.combine(start, time(0), tzinfo=UTC)
        try:
            moved = start.replace(year=start.year + self.years)
        except ValueError:
            moved = start.replace(year=start.year + self.years, day=28)
        return moved + timedelta(days=self.days)


@dataclass(frozen=True)
class Personal:
    category: str
    purpose: Purpose
    basis: LegalBasis
    #: Given by the person themself (portability, Art. 20, covers only this).
    provided: bool = True
    #: Part of the legal record: kept in the restricted archive on erasure, until its date.
    retained: bool = False
    #: The person can correct it (Art. 16).
    rectifiable: bool = True
    #: Part of an export. Only secrets that describe nothing about the person (a password
    #: hash) are left out, and the declaration says so.
    exportable: bool = True


@dataclass(frozen=True)
class NotPersonal:
    why: str


@dataclass(frozen=True)
class SubjectTable:
    """How a table's rows relate to a person."""

    #: The column holding the person's id (the identity service's user id).
    subject: str
    #: The column holding the tenant id, when the table has one.
    tenant: str | None = None
    #: Where the data comes from (Art. 15(1)(g)).
    source: str = "you"
    #: Who receives it beyond the service (Art. 15(1)(c)).
    recipients: tuple[str, ...] = ()
    #: The legal record kept after erasure, for the columns declared ``retained``.
    retention: Retention | None = None
    #: How long the data lives while the account does, in words (Art. 15(1)(d)).
    kept: str = "while your account exists"
    extra: dict[str, Any] = field(default_factory=dict)


def personal(
    category: str,
    purpose: Purpose,
    basis: LegalBasis,
    *,
    provided: bool = True,
    retained: bool = False,
    rectifiable: bool | None = None,
    exportable: bool = True,
) -> dict[str, Any]:
    """``info=`` of a column holding personal data."""
    return {
        PERSONAL_KEY: Personal(
            category,
            purpose,
            basis,
            provided=provided,
            retained=retained,
            rectifiable=provided if rectifiable is None else rectifiable,
            exportable=exportable,
        )
    }


def not_personal(why: str) -> dict[str, Any]:
    """``info=`` of a column that holds nothing about a person, and why."""
    return {PERSONAL_KEY: NotPersonal(why)}


def subject_table(subject: str, **kwargs: Any) -> dict[str, Any]:
    """``info=`` of a table whose rows are about one person each."""
    return {SUBJECT_KEY: SubjectTable(subject, **kwargs)}


def declaration(column: Column[Any]) -> Personal | NotPersonal | None:
    found = column.info.get(PERSONAL_KEY)
    return found if isinstance(found, Personal | NotPersonal) else None


def subject_of(table: Table) -> SubjectTable | None:
    found = table.info.get(SUBJECT_KEY)
    return found if isinstance(found, SubjectTable) else None


def unclassified(metadata: MetaData) -> list[str]:
    """Every ``table.column`` without a declaration; a test asserts this list is empty."""
    missing = [
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if declaration(column) is None
    ]
    for table in metadata.sorted_tables:
        has_personal = any(isinstance(declaration(c), Personal) for c in table.columns)
        if has_personal and subject_of(table) is None:
            missing.append(f"{table.name} (personal columns but no subject_table)")
    return missing


def personal_columns(table: Table) -> list[tuple[Column[Any], Personal]]:
    return [(c, d) for c in table.columns if isinstance(d := declaration(c), Personal)]


def as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value
