"""PCI DSS by design (OR2): no table of any service has a place for card data."""

import importlib

from sqlalchemy.orm import DeclarativeBase

from devstack.stack import SERVICES

CARD_WORDS = {"card", "pan", "cvv", "cvc", "cvv2", "expiry", "expiration", "exp", "cardholder"}


def test_no_schema_anywhere_has_card_data() -> None:
    """Every service the platform runs (devstack's list, so a new one is in), every column of
    its metadata (``<service>.models``, where Alembic reads it)."""
    bases: dict[str, type[DeclarativeBase]] = {
        spec.name: importlib.import_module(f"{spec.name}.models").Base for spec in SERVICES
    }
    assert set(bases) == {"identity", "orders", "subsidies", "support", "privacy"}
    columns = {
        name: [
            f"{table.name}.{column.name}"
            for table in base.metadata.sorted_tables
            for column in table.columns
        ]
        for name, base in bases.items()
    }
    for name, found in columns.items():
        assert len(found) > 10, name  # the service's real metadata, not an empty one
    suspicious = [
        f"{name}: {c}"
        for name, found in columns.items()
        for c in found
        if CARD_WORDS & set(c.split(".")[1].split("_"))
    ]
    assert suspicious == []
    assert "orders.payment_reference" in columns["orders"]  # the provider's reference is all
    assert "mandates.iban" in columns["subsidies"]  # a SEPA mandate's IBAN: a bank account
