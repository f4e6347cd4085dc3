"""PCI DSS by design (OR2): no table of any service has a place for card data."""

from identity.models import Base as IdentityBase
from orders.models import Base as OrdersBase
from privacy.models import Base as PrivacyBase

CARD_WORDS = {"card", "pan", "cvv", "cvc", "cvv2", "expiry", "expiration", "exp", "cardholder"}


def test_no_schema_anywhere_has_card_data() -> None:
    columns = [
        f"{table.name}.{column.name}"
        for base in (IdentityBase, OrdersBase, PrivacyBase)
        for table in base.metadata.sorted_tables
        for column in table.columns
    ]
    assert len(columns) > 50
    suspicious = [c for c in columns if CARD_WORDS & set(c.split(".")[1].split("_"))]
    assert suspicious == []
    assert "orders.payment_reference" in columns  # the provider's reference is all we keep
