"""Ids in request bodies are checked before any query: a NUL character reaching PostgreSQL is
a 500 (SQLSTATE 22021; the security suite's fuzzer found it in the subsidies service)."""

import pytest
from pydantic import ValidationError

from orders.orders.schemas import Address, OrderCreate


@pytest.mark.parametrize("bad", ["\x00", "a\x00b", "", "é", "a b", "x" * 37])
def test_a_malformed_offer_id_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        OrderCreate.model_validate({"items": [{"offer_id": bad, "quantity": 1}]})


def test_an_offer_id_of_the_platform_passes() -> None:
    order = OrderCreate.model_validate(
        {"items": [{"offer_id": "6c9c2a11-e632-4b6d-a14d-f74b89ebc5ce", "quantity": 1}]}
    )
    assert order.items[0].offer_id == "6c9c2a11-e632-4b6d-a14d-f74b89ebc5ce"


def address(**changes: str) -> dict[str, str]:
    longest = {
        "name": "n" * 200,
        "street": "s" * 150,
        "postcode": "75011-1234",
        "city": "c" * 100,
        "country": "FR",
    }
    return longest | changes


def test_an_address_fits_its_columns_and_the_invoice_line() -> None:
    """City: 100 characters; street, postcode, city and country make the invoice's billing
    address of 300 characters (PostgreSQL refused longer ones with a 500)."""
    billing = Address.model_validate(address())
    line = f"{billing.street}, {billing.postcode} {billing.city}, {billing.country}"
    assert len(line) <= 300
    for change in ({"street": "s" * 151}, {"city": "c" * 101}, {"name": "n" * 201}):
        with pytest.raises(ValidationError):
            Address.model_validate(address(**change))
