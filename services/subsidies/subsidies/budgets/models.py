"""The yearly budget a works council spends on subsidies: nothing personal."""

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import new_id
from kit.privacy.declarations import not_personal
from subsidies.base import ID, TENANT, Base


class Budget(Base):
    """What the works council can spend on subsidies in a year; never overspent."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), info=TENANT)
    year: Mapped[int] = mapped_column(Integer, info=not_personal("a year"))
    amount_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    reserved_cents: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("an amount"))
