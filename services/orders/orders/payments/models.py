"""The webhooks already handled (nothing personal: the provider's event ids)."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime
from kit.privacy.declarations import not_personal
from orders.base import Base


class PaymentEvent(Base):
    """Webhooks already handled, by the provider's event id: a replay or a repeat does nothing."""

    __tablename__ = "payment_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, info=not_personal("an event id"))
    type: Mapped[str] = mapped_column(String(40), info=not_personal("an event type"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))
