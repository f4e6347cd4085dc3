"""The answers of the accounting routes."""

from datetime import date

from pydantic import BaseModel

from subsidies.accounting.service import BudgetTotal


class BudgetTotals(BaseModel):
    budget: str
    journal: str
    entries: int
    debit_cents: int
    credit_cents: int
    balanced: bool

    @classmethod
    def of(cls, total: BudgetTotal) -> "BudgetTotals":
        return cls(
            budget=total.budget,
            journal=total.journal,
            entries=total.entries,
            debit_cents=total.debit_cents,
            credit_cents=total.credit_cents,
            balanced=total.debit_cents == total.credit_cents,
        )


class PeriodTotals(BaseModel):
    """A period's totals per budget, and in all."""

    start: date
    end: date
    budgets: list[BudgetTotals]
    debit_cents: int
    credit_cents: int
    balanced: bool
