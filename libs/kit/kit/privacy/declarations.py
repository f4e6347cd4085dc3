"""Declarations of personal data, next to the models that hold it.

Every column says what it is, in its ``info``: ``personal(...)`` (category, purpose, legal
basis, whether the person provided it, whether the legal record keeps it) or
``not_personal(why)``. Every table that holds data on a person says how to find that person's
rows (``subject_table(...)``) and, where the law makes the service keep a record, for how long
(``Retention``). Export, erasure, rectification, the retention purge and the register of
processing are derived from these declarations, never written by hand per table.
"""

from dataclasses import dataclass, field, replace
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
    #: Only a ``Retention``'s: a record kept for as long as a claim can be brought over it (a
    #: limitation period, such as the Code de commerce's L110-4), for the establishment,
    #: exercise or defence of legal claims. No law makes us keep it: it is our legitimate
    #: interest (Art. 6(1)(f)), and the exemption from erasure is Art. 17(3)(e), not the legal
    #: obligation of Art. 17(3)(b).
    LEGAL_CLAIMS = "legal_claims"

    @property
    def article(self) -> str:
        return {
            "consent": "Art. 6(1)(a) GDPR",
            "contract": "Art. 6(1)(b) GDPR",
            "legal_obligation": "Art. 6(1)(c) GDPR",
            "legitimate_interests": "Art. 6(1)(f) GDPR",
            "legal_claims": "Art. 6(1)(f) and Art. 17(3)(e) GDPR",
        }[self.value]

    @property
    def erasure_exemption(self) -> str:
        """Why a record outlives an erasure (Art. 17(3)): a legal obligation, or legal claims."""
        if self == LegalBasis.LEGAL_CLAIMS:
            return "Art. 17(3)(e) GDPR: establishment, exercise or defence of legal claims"
        return "Art. 17(3)(b) GDPR: compliance with a legal obligation"


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
    #: The service setting that holds the period in years, when it is configurable: its value
    #: replaces ``years`` (the default) once the service's settings are bound
    #: (``SubjectData.bind``); declarations never read settings at import time.
    setting: str | None = None

    def configured(self, settings: object | None) -> "Retention":
        """This period with the years the bound ``settings`` give (itself when none)."""
        if self.setting is None or settings is None:
            return self
        return replace(self, years=int(getattr(settings, self.setting)))

    def until(self, start: datetime | date) -> datetime:
        """``start`` plus the period (29 February counts as 28 in a year without it); a date
        counts from its midnight, UTC."""
        return _after(start, self.years, self.days)


def _after(start: datetime | date, years: int, days: int) -> datetime:
    """``start`` plus ``years`` and ``days`` (29 February counts as 28 in a year without it); a
    date counts from its midnight, UTC."""
    if not isinstance(start, datetime):
        start = datetime.combine(start, time(0), tzinfo=UTC)
    try:
        moved = start.replace(year=start.year + years)
    except ValueError:
        moved = start.replace(year=start.year + years, day=28)
    return moved + timedelta(days=days)


@dataclass(frozen=True)
class Lifetime:
    """How long a row stays in its table while the person's account exists (Art. 5(1)(e)):
    an active account's records do not live forever either.

    Past ``counted_from`` plus the period, the service's scheduled job (``kit.worker.
    live_retention``) takes the row out: what the table's ``Retention`` still keeps goes to the
    restricted archive until its own date, the rest is deleted (``SubjectData.expire``)."""

    counted_from: str
    #: Why this long (the law, or the rule), in words: the register and the docs show it.
    reason: str
    years: int = 0
    days: int = 0
    #: The service setting holding the period in years (``years`` is its default).
    setting: str | None = None
    #: Only the rows whose column holds one of these values (a mandate once it has ended).
    only_when: tuple[str, tuple[str, ...]] | None = None

    @classmethod
    def of(cls, retention: "Retention") -> "Lifetime":
        """A legal record's own period: at its date, the row goes, account or not."""
        return cls(
            counted_from=retention.counted_from,
            reason=retention.reason,
            years=retention.years,
            days=retention.days,
            setting=retention.setting,
        )

    def configured(self, settings: object | None) -> "Lifetime":
        if self.setting is None or settings is None:
            return self
        return replace(self, years=int(getattr(settings, self.setting)))

    def until(self, start: datetime | date) -> datetime:
        return _after(start, self.years, self.days)

    def shortest(self) -> timedelta:
        """A period no year count makes longer: rows younger than this never expire (the
        query's bound; ``until`` decides each row)."""
        return timedelta(days=365 * self.years + self.days)


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
    #: How long the data lives while the account does, in words (Art. 15(1)(d)); a
    #: ``{setting_name}`` in it is filled from the service's bound settings.
    kept: str = "while your account exists"
    #: How long a row lives while the account exists (Art. 5(1)(e)); None: as long as it.
    lifetime: Lifetime | None = None
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


# -- the purposes, for the register of processing (Art. 30(1)) --------------------------------

#: Each service's worker publishes its declarations at start (``kit.worker.run_worker``):
#: payload ``{service, inventory}``, addressed to the privacy service and published mandatory
#: (one no queue takes yet waits in the outbox), which keeps the latest per service.
DECLARATIONS_PUBLISHED = "declarations.published"
DECLARATIONS_KEY = f"{DECLARATIONS_PUBLISHED}.privacy"


@dataclass(frozen=True)
class PurposeInfo:
    """What the register of processing says of a purpose beyond the columns' declarations.

    The categories of data, the per-table retention and the tables' recipients come from the
    services' declarations; this is the rest of Art. 30(1)(b)-(g). Every field is required
    (``libs/kit/tests/test_register_purposes.py``)."""

    title: str
    description: str
    #: The main legal basis (a column may declare another one: the register lists both).
    legal_basis: LegalBasis
    #: Why that basis holds, in a sentence.
    legal_basis_reason: str
    categories_of_people: tuple[str, ...]
    recipients: tuple[str, ...]
    transfers_outside_eu: str
    retention: str
    security_measures: tuple[str, ...]

    @property
    def legal_basis_article(self) -> str:
        return self.legal_basis.article


#: The platform's common measures (Art. 32), repeated in each purpose the register lists.
_SECURITY = (
    "TLS on every connection, behind one gateway that checks each session",
    "access by role; two-factor login for staff (administrators, agents, the DPO)",
    "each service holds its own data in its own database",
    "an audit trail of every read or change of a person's data by someone else",
    "erased people remembered by a keyed hash only, erasures replayed after a backup restore",
)
_NO_TRANSFER = "none: the platform and its processors keep the data in the EU"

PURPOSES: dict[Purpose, PurposeInfo] = {
    Purpose.SITE_COMMUNICATION: PurposeInfo(
        title="Running the site and communicating with its users",
        description=(
            "Sessions and security of the site, connection logs, answers to data-protection "
            "requests, the audit trail of accesses, consents, newsletters and notices to users."
        ),
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        legal_basis_reason=(
            "keeping the site secure and informing its users; newsletters only with consent, "
            "the connection log and the answers to requests by law"
        ),
        categories_of_people=(
            "employees of the client companies with an account",
            "staff of the works councils and of the platform (administrators, agents, DPO)",
        ),
        recipients=(
            "the works council (newsletters it sends)",
            "the platform's DPO",
            "the hosting provider and the email relay (processors)",
        ),
        transfers_outside_eu=_NO_TRANSFER,
        retention=(
            "sessions 24 hours; connection log one year (LCEN); proof of consent 5 years; "
            "audit trail one year; answered requests kept as the proof of the answer"
        ),
        security_measures=(*_SECURITY, "only keyed hashes of erased people's ids remain"),
    ),
    Purpose.SOCIAL_ACTIVITIES: PurposeInfo(
        title="Social and cultural activities of the works council",
        description=(
            "Employees' accounts, their family situation for subsidies, the subsidies granted, "
            "bookings of activities and direct-debit mandates."
        ),
        legal_basis=LegalBasis.CONTRACT,
        legal_basis_reason=(
            "the works council's offer the employee takes up; its accounts are kept by law"
        ),
        categories_of_people=(
            "employees of the client companies",
            "their families (children counted for subsidies)",
        ),
        recipients=(
            "the works council of the employee's company",
            "the payment provider (direct debits)",
        ),
        transfers_outside_eu=_NO_TRANSFER,
        retention=(
            "while the account exists; subsidies granted 10 years (works council accounts); "
            "bookings 5 years; a direct-debit mandate 13 months after its last collection"
        ),
        security_measures=(*_SECURITY, "bank details encrypted field by field, keys rotated"),
    ),
    Purpose.ORDER_PROCESSING: PurposeInfo(
        title="Orders, payment and delivery",
        description=(
            "Orders of tickets and vouchers, their payment, delivery by fulfilment partners, "
            "and invoices."
        ),
        legal_basis=LegalBasis.CONTRACT,
        legal_basis_reason="the sale the employee asks for; invoices are kept by law",
        categories_of_people=(
            "employees who order",
            "the people they have an order delivered to",
        ),
        recipients=(
            "fulfilment partners (what they need to deliver)",
            "the payment provider",
            "the works council (its accounts)",
        ),
        transfers_outside_eu=_NO_TRANSFER,
        retention=(
            "orders 5 years after the purchase (commercial limitation period); invoices "
            "10 years (accounting records)"
        ),
        security_measures=(
            *_SECURITY,
            "card data never reaches the platform (payment provider's page)",
            "payment webhooks signed and checked",
        ),
    ),
    Purpose.SUPPORT_REQUESTS: PurposeInfo(
        title="Support requests",
        description="Tickets users open and the conversation with the support agents.",
        legal_basis=LegalBasis.CONTRACT,
        legal_basis_reason="helping users with the service they use",
        categories_of_people=(
            "employees and staff who ask for help",
            "the support agents who answer",
        ),
        recipients=("the platform's support agents",),
        transfers_outside_eu=_NO_TRANSFER,
        retention="2 years after the ticket is closed",
        security_measures=(*_SECURITY, "a ticket is seen by its requester and the agents only"),
    ),
    Purpose.PARTNER_LISTING: PurposeInfo(
        title="Listing partners",
        description=(
            "Businesses asking to be listed as partners of the works councils, and the follow-up "
            "of their request."
        ),
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        legal_basis_reason="answering a business that asked to be listed (B2B contact)",
        categories_of_people=("business contacts of partner companies",),
        recipients=("the platform's support agents", "the works councils choosing partners"),
        transfers_outside_eu=_NO_TRANSFER,
        retention="3 years after our last contact",
        security_measures=(*_SECURITY, "the public form is rate-limited per address"),
    ),
}
