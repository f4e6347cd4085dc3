"""What was disclosed to which fulfilment partner: the recipients of a person's data."""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import (
    LegalBasis,
    Lifetime,
    Purpose,
    not_personal,
    personal,
    subject_table,
)
from orders.base import ID, Base
from orders.offers.models import OfferKind

RECIPIENT = personal(
    "recipients of your data",
    Purpose.ORDER_PROCESSING,
    LegalBasis.CONTRACT,
    provided=False,
    rectifiable=False,
)

#: What each kind of offer discloses to its partner (the recipients record says the same).
DISCLOSED = {
    OfferKind.TICKET: ["pseudonymous holder reference", "items"],
    OfferKind.VOUCHER: ["pseudonymous holder reference", "items"],
    OfferKind.GOODS: ["name", "delivery address", "items"],
}


class Disclosure(Base):
    """What of an order went to which fulfilment partner, and when (the recipients record,
    Art. 15(1)(c)); an erasure or a rectification is passed on to each of them (Art. 19)."""

    __tablename__ = "disclosures"
    __table_args__ = (
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                source="us, when your order was paid",
                recipients=("fulfilment partners",),
                kept="as long as the order",
                # The order's period, from when the partner got the data.
                lifetime=Lifetime(
                    counted_from="sent_at",
                    reason="as long as the order (Code de commerce, art. L110-4)",
                    years=5,
                    setting="order_retention_years",
                ),
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    order_id: Mapped[str] = mapped_column(
        String(36), index=True, info=not_personal("random id of the order")
    )
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=RECIPIENT)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=RECIPIENT)
    #: The ``OfferKind`` of the items sent.
    kind: Mapped[str] = mapped_column(String(20), info=not_personal("ticket, voucher, goods"))
    partner: Mapped[str] = mapped_column(String(40), info=RECIPIENT)
    #: The order's pseudonymous reference for this partner only.
    reference: Mapped[str] = mapped_column(String(40), info=RECIPIENT)
    categories: Mapped[list[str]] = mapped_column(JSON, info=RECIPIENT)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, info=RECIPIENT)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=RECIPIENT)
    tracking: Mapped[str | None] = mapped_column(String(40), info=RECIPIENT)
