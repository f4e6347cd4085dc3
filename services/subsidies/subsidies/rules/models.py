"""The works council's subsidy rules: data, nothing personal."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal
from subsidies.base import ID, TENANT, Base


class OfferKind(StrEnum):
    """What an order's line or a booking is: the kind a rule applies to."""

    TICKET = "ticket"
    VOUCHER = "voucher"
    GOODS = "goods"
    ACTIVITY = "activity"


class Rule(Base):
    """A subsidy the works council gives: to whom (conditions), how much, up to what."""

    __tablename__ = "rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=TENANT)
    name: Mapped[str] = mapped_column(String(200), info=not_personal("a rule's name"))
    #: An ``OfferKind``; None: any.
    offer_kind: Mapped[str | None] = mapped_column(String(20), info=not_personal("a kind"))
    min_children: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("a condition"))
    #: A family-quotient bracket (``quotients``); None: any.
    bracket: Mapped[str | None] = mapped_column(String(20), info=not_personal("a condition"))
    amount_cents: Mapped[int | None] = mapped_column(Integer, info=not_personal("an amount"))
    percent: Mapped[int | None] = mapped_column(Integer, info=not_personal("a rate"))
    cap_cents_per_year: Mapped[int] = mapped_column(Integer, info=not_personal("a cap"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, info=not_personal("a flag"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))
