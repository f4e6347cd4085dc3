"""The chart of accounts the entries are written with: configuration (``ACCOUNTING_CHART``,
JSON), never constants in code. The defaults follow the Plan comptable général numbering with
the two budgets of a CSE kept apart, as ANC regulation 2015-01 (now 2021-05) asks; the sources
are cited in docs/subsidies.md, "Accounting". The CSE's accountant may renumber any of them."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator


class Budget(StrEnum):
    """A CSE's two budgets, never mixed (Code du travail L2315-61 and L2312-81)."""

    #: Attributions économiques et professionnelles: the operating budget.
    AEP = "aep"
    #: Activités sociales et culturelles.
    ASC = "asc"


class Role(StrEnum):
    """What an account is used for in the entries the platform writes."""

    BANK = "bank"
    BENEFICIARIES = "beneficiaries"
    PARTNERS = "partners"
    VOUCHER_ISSUERS = "voucher_issuers"
    SUBSIDIES = "subsidies"
    VOUCHERS = "vouchers"
    PARTICIPATIONS = "participations"


class Source(StrEnum):
    """What an entry records (each source's budget is configuration)."""

    GRANT = "grant"
    ORDER = "order"
    BOOKING = "booking"
    VOUCHER = "voucher"


class Account(BaseModel):
    number: str = Field(pattern=r"^[0-9]{3,10}$")
    label: str = Field(min_length=1, max_length=100)


class Journal(BaseModel):
    code: str = Field(pattern=r"^[A-Z0-9]{1,8}$")
    label: str = Field(min_length=1, max_length=100)


def _accounts(budget: Budget) -> dict[Role, Account]:
    name = "activités sociales et culturelles" if budget == Budget.ASC else "fonctionnement"
    suffix = "2" if budget == Budget.ASC else "1"
    return {
        Role.BANK: Account(number=f"512{suffix}", label=f"Banque - {name}"),
        Role.BENEFICIARIES: Account(number=f"467{suffix}", label=f"Bénéficiaires - {name}"),
        Role.PARTNERS: Account(number=f"401{suffix}", label=f"Partenaires - {name}"),
        Role.VOUCHER_ISSUERS: Account(
            number=f"408{suffix}", label=f"Émetteurs de bons d'achat - {name}"
        ),
        Role.SUBSIDIES: Account(
            number=f"657{suffix}", label=f"Subventions aux bénéficiaires - {name}"
        ),
        Role.VOUCHERS: Account(number=f"6234{suffix}", label=f"Bons d'achat et cadeaux - {name}"),
        Role.PARTICIPATIONS: Account(
            number=f"706{suffix}", label=f"Participations des bénéficiaires - {name}"
        ),
    }


ACCOUNTS = {b: _accounts(b) for b in Budget}
JOURNALS = {
    Budget.ASC: Journal(code="ASC", label="Activités sociales et culturelles"),
    Budget.AEP: Journal(code="AEP", label="Budget de fonctionnement"),
}
#: Grants, orders, bookings and vouchers are social and cultural activities.
BUDGETS = dict.fromkeys(Source, Budget.ASC)


class Chart(BaseModel):
    """The accounts of each budget, its journal, and the budget of each source. What the
    configuration gives replaces the default of that key only: ``{"budgets": {"voucher":
    "aep"}}`` moves vouchers and keeps everything else."""

    accounts: dict[Budget, dict[Role, Account]] = ACCOUNTS
    journals: dict[Budget, Journal] = JOURNALS
    budgets: dict[Source, Budget] = BUDGETS

    @field_validator("accounts", mode="before")
    @classmethod
    def _over_default_accounts(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {b: {**ACCOUNTS[b], **value.get(b, {})} for b in Budget} | {
            k: v for k, v in value.items() if k not in ACCOUNTS
        }

    @field_validator("journals", "budgets", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any, info: ValidationInfo) -> Any:
        defaults: dict[Any, Any] = JOURNALS if info.field_name == "journals" else BUDGETS
        return {**defaults, **value} if isinstance(value, dict) else value

    def account(self, budget: Budget, role: Role) -> Account:
        return self.accounts[budget][role]
