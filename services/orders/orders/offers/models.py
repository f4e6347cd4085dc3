"""The tenant's offers (nothing personal)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal
from orders.base import ID, Base


class OfferKind(StrEnum):
    """What an offer is; each kind has its fulfilment partner (``Settings.partners``)."""

    TICKET = "ticket"
    VOUCHER = "voucher"
    GOODS = "goods"


class Offer(Base):
    """Something the works council offers: a ticket, a voucher, a physical good."""

    __tablename__ = "offers"
    __table_args__ = (
        # The tenant's offers, the newest first (kit.pagination), read from an index position.
        Index("ix_offers_tenant_id_created_at", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=not_personal("a company"))
    title: Mapped[str] = mapped_column(String(200), info=not_personal("an offer"))
    #: An ``OfferKind``.
    kind: Mapped[str] = mapped_column(String(20), info=not_personal("ticket, voucher, goods"))
    price_cents: Mapped[int] = mapped_column(Integer, info=not_personal("a price"))
    stock: Mapped[int | None] = mapped_column(Integer, info=not_personal("a count"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, info=not_personal("a flag"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))
