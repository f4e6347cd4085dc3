"""Ids in request bodies are checked before any query: the fuzzer of the security suite sent
``{"activity_id": "\\u0000..."}`` and PostgreSQL's refusal of the NUL character was a 500."""

import pytest
from pydantic import ValidationError

from subsidies.bookings.schemas import BookingIn
from subsidies.grants.schemas import GrantRequest

UUID = "6c9c2a11-e632-4b6d-a14d-f74b89ebc5ce"


@pytest.mark.parametrize("bad", ["\x00\u00a1\u00d8C7", "a\x00b", "", "é", "a b", "x" * 37, "a/b"])
def test_a_malformed_id_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        BookingIn(activity_id=bad, mandate_id=UUID)
    with pytest.raises(ValidationError):
        BookingIn(activity_id=UUID, mandate_id=bad)
    with pytest.raises(ValidationError):
        GrantRequest.model_validate(
            {"order_id": bad, "lines": [{"kind": "ticket", "quantity": 1, "unit_price_cents": 1}]}
        )


def test_ids_of_the_platform_pass() -> None:
    booking = BookingIn(activity_id=UUID, mandate_id=UUID.upper())
    assert booking.activity_id == UUID
