"""Request and response bodies of the offers. Prices come from the server only."""

from typing import Literal, get_args

from pydantic import BaseModel, Field

from kit.schemas import Line as Text
from kit.schemas import Strict
from orders.offers.models import OfferKind

#: ``OfferKind``'s values as a literal: a body with another kind stays a 422 of type
#: ``literal_error``, as the API has always answered (an enum field would say ``enum``).
OfferKindValue = Literal["ticket", "voucher", "goods"]
assert set(get_args(OfferKindValue)) == set(OfferKind)


class OfferCreate(Strict):
    title: Text
    kind: OfferKindValue
    price_cents: int = Field(ge=0, le=1_000_000)
    stock: int | None = Field(default=None, ge=0, le=1_000_000)


class OfferUpdate(Strict):
    title: Text | None = None
    price_cents: int | None = Field(default=None, ge=0, le=1_000_000)
    stock: int | None = Field(default=None, ge=0, le=1_000_000)


class OfferPublic(BaseModel):
    id: str
    title: str
    kind: str
    price_cents: int
    stock: int | None
