"""The yearly budget's request and response bodies."""

from pydantic import BaseModel, Field

from kit.schemas import Strict
from subsidies.budgets.models import Budget


class BudgetIn(Strict):
    year: int = Field(ge=2000, le=2100)
    amount_cents: int = Field(ge=0, le=1_000_000_000)


class BudgetPublic(BaseModel):
    year: int
    amount_cents: int
    reserved_cents: int
    remaining_cents: int

    @classmethod
    def of(cls, budget: Budget) -> "BudgetPublic":
        return cls(
            year=budget.year,
            amount_cents=budget.amount_cents,
            reserved_cents=budget.reserved_cents,
            remaining_cents=budget.amount_cents - budget.reserved_cents,
        )
