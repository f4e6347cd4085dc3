"""Rules' request and response bodies."""

from typing import Literal, get_args

from pydantic import BaseModel, Field, model_validator

from kit.schemas import Line, Strict
from subsidies.quotients.schemas import BracketName
from subsidies.rules.models import OfferKind, Rule

#: ``OfferKind``'s values as a literal: a body with another kind stays a 422 of type
#: ``literal_error``, as the API has always answered (an enum field would say ``enum``).
OfferKindValue = Literal["ticket", "voucher", "goods", "activity"]
assert set(get_args(OfferKindValue)) == set(OfferKind)


class RuleIn(Strict):
    name: Line
    offer_kind: OfferKindValue | None = None
    min_children: int = Field(default=0, ge=0, le=20)
    #: Only for people in this family-quotient bracket (``/api/subsidies/quotient``).
    bracket: BracketName | None = None
    amount_cents: int | None = Field(default=None, ge=1, le=1_000_000)
    percent: int | None = Field(default=None, ge=1, le=100)
    cap_cents_per_year: int = Field(ge=1, le=10_000_000)

    @model_validator(mode="after")
    def _one_amount(self) -> "RuleIn":
        if (self.amount_cents is None) == (self.percent is None):
            raise ValueError("give either amount_cents or percent")
        return self


class RulePublic(BaseModel):
    id: str
    name: str
    offer_kind: str | None
    min_children: int
    bracket: str | None = None
    amount_cents: int | None
    percent: int | None
    cap_cents_per_year: int
    active: bool

    @classmethod
    def of(cls, rule: Rule) -> "RulePublic":
        return cls(
            id=rule.id,
            name=rule.name,
            offer_kind=rule.offer_kind,
            min_children=rule.min_children,
            bracket=rule.bracket,
            amount_cents=rule.amount_cents,
            percent=rule.percent,
            cap_cents_per_year=rule.cap_cents_per_year,
            active=rule.active,
        )
