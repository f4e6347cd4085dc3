"""Gift campaigns: what the works council gives for an event (a campaign, nothing personal),
the vouchers each beneficiary receives, what orders take from them, and each person's yearly
total per event against URSSAF's exemption limit. Vouchers, their uses and the totals are
works-council accounting records, kept like grants (``grant_retention_years``)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import Lifetime, Retention, not_personal, personal, subject_table
from subsidies.base import ACTIVITIES, ID, OBLIGATION, TENANT, Base


class LimitBasis(StrEnum):
    """What an event's exemption limit counts (settings ``gift_events``): one limit per
    employee, or one per child (Christmas of the children, back to school)."""

    EMPLOYEE = "employee"
    CHILD = "child"


def _record(counted_from: str, keep: tuple[str, ...]) -> Retention:
    return Retention(
        years=10,
        setting="grant_retention_years",
        counted_from=counted_from,
        basis=OBLIGATION,
        reason="works council accounts (Code du travail L2315-65, Code de commerce L123-22)",
        keep=keep,
    )


VOUCHER_RECORD = _record(
    "created_at",
    (
        "id",
        "campaign_id",
        "event",
        "year",
        "amount_cents",
        "used_cents",
        "not_exempt_cents",
        "limit_units",
    ),
)
USE_RECORD = _record(
    "created_at", ("id", "voucher_id", "order_id", "amount_cents", "shortfall_cents", "status")
)
TOTAL_RECORD = _record("updated_at", ("id", "year", "event", "issued_cents", "limit_units"))
KEPT = "{grant_retention_years} years (works council accounts)"
GIFTED = personal("gift vouchers received", ACTIVITIES, OBLIGATION, provided=False, retained=True)


class Campaign(Base):
    """One distribution: an event, an amount per beneficiary (or per child), who receives it."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=TENANT)
    name: Mapped[str] = mapped_column(String(200), info=not_personal("a campaign's name"))
    #: One of the settings' ``gift_events``.
    event: Mapped[str] = mapped_column(String(40), info=not_personal("an event"))
    amount_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    per_child: Mapped[bool] = mapped_column(Boolean, info=not_personal("a flag"))
    min_children: Mapped[int] = mapped_column(Integer, info=not_personal("a condition"))
    year: Mapped[int] = mapped_column(Integer, info=not_personal("a year"))
    beneficiaries: Mapped[int] = mapped_column(Integer, info=not_personal("a count"))
    total_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    #: What this campaign gave beyond the limit (confirmed by the admin): not exempt.
    not_exempt_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))


def _subject(record: Retention, source: str) -> dict[str, object]:
    return {
        "info": subject_table(
            "user_id",
            tenant="tenant_id",
            source=source,
            retention=record,
            lifetime=Lifetime.of(record),
            kept=KEPT,
        )
    }


class Voucher(Base):
    """A beneficiary's voucher of a campaign: its amount and what orders used of it."""

    __tablename__ = "vouchers"
    __table_args__ = (
        Index("ix_vouchers_user_id_created_at", "user_id", "created_at"),
        _subject(VOUCHER_RECORD, "the works council's gift campaigns"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=GIFTED)
    user_id: Mapped[str] = mapped_column(String(36), info=GIFTED)
    campaign_id: Mapped[str] = mapped_column(
        String(36), index=True, info=not_personal("a campaign id")
    )
    event: Mapped[str] = mapped_column(String(40), info=not_personal("an event"))
    year: Mapped[int] = mapped_column(Integer, info=not_personal("a year"))
    amount_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    used_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    #: The part of the amount beyond the exemption limit when it was issued: not exempt.
    not_exempt_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    #: How many limits the voucher's event gave the person (1, or their children, counted
    #: from the profile when the voucher was issued).
    limit_units: Mapped[int] = mapped_column(Integer, info=not_personal("a count"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=GIFTED)


class VoucherUse(Base):
    """What an order took from a voucher: held, placed, paid or released (as a grant)."""

    __tablename__ = "voucher_uses"
    __table_args__ = (
        # One use per order and voucher: two reservations of one order at once cannot both
        # take from a voucher (the second waits on the voucher's lock, then finds the first).
        UniqueConstraint("order_id", "voucher_id", name="uq_voucher_uses_order_id_voucher_id"),
        _subject(USE_RECORD, "us, from your orders"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), info=GIFTED)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=GIFTED)
    voucher_id: Mapped[str] = mapped_column(
        String(36), index=True, info=not_personal("a voucher id")
    )
    order_id: Mapped[str] = mapped_column(
        String(36), index=True, info=not_personal("random id of an order")
    )
    amount_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    #: What an order placed after its hold expired could no longer take up again (the voucher
    #: was spent meanwhile): the order kept that discount without voucher cover.
    shortfall_cents: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", info=not_personal("an amount")
    )
    #: A ``grants.models.GrantStatus``: the same lifecycle as an order's grants.
    status: Mapped[str] = mapped_column(String(20), info=not_personal("a status"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=GIFTED)
    hold_until: Mapped[datetime | None] = mapped_column(UtcDateTime, info=not_personal("a date"))


class GiftTotal(Base):
    """A person's vouchers of one event in one calendar year: what the exemption limit is
    checked against (the yearly report reads these rows)."""

    __tablename__ = "gift_totals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "year", "user_id", "event"),
        _subject(TOTAL_RECORD, "the works council's gift campaigns"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), info=GIFTED)
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=GIFTED)
    year: Mapped[int] = mapped_column(Integer, info=not_personal("a year"))
    event: Mapped[str] = mapped_column(String(40), info=not_personal("an event"))
    issued_cents: Mapped[int] = mapped_column(Integer, info=not_personal("an amount"))
    limit_units: Mapped[int] = mapped_column(Integer, info=not_personal("a count"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, info=GIFTED)
