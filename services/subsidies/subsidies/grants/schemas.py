"""What orders sends to reserve an order's subsidies, and the answer."""

from pydantic import BaseModel, Field

from kit.schemas import Id, Strict
from subsidies.rules.schemas import OfferKindValue


class Line(Strict):
    kind: OfferKindValue
    quantity: int = Field(ge=1, le=100)
    unit_price_cents: int = Field(ge=0, le=10_000_000)


class GrantRequest(Strict):
    """From the orders service, with the buyer's own token: what the order holds."""

    order_id: Id
    lines: list[Line] = Field(min_length=1, max_length=20)


class GrantAnswer(BaseModel):
    #: Everything the works council pays of the order: rules' subsidies and gift vouchers.
    subsidy_cents: int
    #: Of which taken from the buyer's gift vouchers (``campaigns``).
    voucher_cents: int = 0
