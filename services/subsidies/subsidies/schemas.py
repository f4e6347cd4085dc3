"""Request and response bodies of the subsidies service. Bank details only ever go out masked."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kit.schemas import CleanText, Id
from kit.schemas import Line as OneLine

Text = OneLine
Kind = Literal["ticket", "voucher", "goods", "activity"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileIn(Strict):
    children_count: int = Field(ge=0, le=20)


class ProfilePublic(BaseModel):
    children_count: int
    updated_at: datetime


class RuleIn(Strict):
    name: Text
    offer_kind: Kind | None = None
    min_children: int = Field(default=0, ge=0, le=20)
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
    amount_cents: int | None
    percent: int | None
    cap_cents_per_year: int
    active: bool


class BudgetIn(Strict):
    year: int = Field(ge=2000, le=2100)
    amount_cents: int = Field(ge=0, le=1_000_000_000)


class BudgetPublic(BaseModel):
    year: int
    amount_cents: int
    reserved_cents: int
    remaining_cents: int


class Eligibility(BaseModel):
    rule_id: str
    name: str
    offer_kind: str | None
    amount_cents: int | None
    percent: int | None
    cap_cents_per_year: int
    used_cents: int
    remaining_cents: int


class Line(Strict):
    kind: Kind
    quantity: int = Field(ge=1, le=100)
    unit_price_cents: int = Field(ge=0, le=10_000_000)


class GrantRequest(Strict):
    """From the orders service, with the buyer's own token: what the order holds."""

    order_id: Id
    lines: list[Line] = Field(min_length=1, max_length=20)


class GrantAnswer(BaseModel):
    subsidy_cents: int


class ActivityIn(Strict):
    title: Text
    price_cents: int = Field(ge=0, le=1_000_000)
    starts_at: datetime
    seats: int | None = Field(default=None, ge=1, le=100_000)


class ActivityPublic(BaseModel):
    id: str
    title: str
    price_cents: int
    starts_at: datetime
    seats: int | None


class MandateIn(Strict):
    holder: Text
    iban: Annotated[CleanText, StringConstraints(max_length=50)]
    bic: Annotated[CleanText, StringConstraints(max_length=20)]


class MandatePublic(BaseModel):
    """Masked: ``FR76 **** **** 1234``; the full IBAN is never sent back."""

    id: str
    reference: str
    holder: str
    iban: str
    bic: str
    status: str
    signed_at: datetime
    last_collection_at: datetime | None


class BookingIn(Strict):
    activity_id: Id
    mandate_id: Id


class BookingPublic(BaseModel):
    id: str
    activity_id: str
    status: str
    price_cents: int
    subsidy_cents: int
    #: What the direct debit collects: the price less the subsidy.
    debit_cents: int
    mandate: MandatePublic | None
    created_at: datetime


class Cell(BaseModel):
    label: str
    people: int
    uses: int
    amount_cents: int


class Statistics(BaseModel):
    by: str
    year: int
    k: int
    cells: list[Cell]
    #: How many groups were too small to show alone and were merged into "other".
    merged_groups: int
