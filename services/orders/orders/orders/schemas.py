"""Request and response bodies of the orders. Prices come from the server only."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from kit.schemas import CleanText, Id, Strict, text
from kit.schemas import Line as Text


class Item(Strict):
    offer_id: Id
    quantity: int = Field(ge=1, le=10)


class Address(Strict):
    """Bounded by the columns (PostgreSQL refuses longer values: that was a 500): the city
    holds 100 characters, and street, postcode, city and country together make the invoice's
    300-character billing address."""

    name: Text
    street: Annotated[str, text(150)]
    postcode: Annotated[CleanText, StringConstraints(pattern=r"^[0-9A-Za-z -]{3,10}$")]
    city: Annotated[str, text(100)]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "FR"

    def one_line(self) -> str:
        """The address on one line, as an invoice's billing address holds it."""
        return f"{self.street}, {self.postcode} {self.city}, {self.country}"


class OrderCreate(Strict):
    items: list[Item] = Field(min_length=1, max_length=20)
    #: Needed only for physical goods.
    delivery_address: Address | None = None
    #: For the invoice; the delivery address serves when there is none.
    billing_address: Address | None = None
    email: (
        Annotated[
            CleanText, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
        ]
        | None
    ) = None


class OrderPublic(BaseModel):
    id: str
    status: str
    items: list[dict[str, Any]]
    total_cents: int
    subsidy_cents: int
    #: The price less the subsidy: what the payment provider collects.
    to_pay_cents: int
    email: str
    delivery_address: dict[str, str | None] | None
    created_at: datetime
