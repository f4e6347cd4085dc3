"""The books' rules: every grant, paid order, SEPA debit and voucher is one balanced entry in
its budget's journal; nothing is ever changed once written, a correction is a new entry that
reverses the first. No HTTP here.

**Two dates**, as French bookkeeping has them: an entry is dated (``EcritureDate``, the period
the exports select it by) the day it is written, in the works council's time zone; its
supporting document (``PieceDate``) is dated the day the operation happened (an order paid or
refunded, a grant made, a voucher issued). An event the worker receives late, or a payment a
minute before midnight at a month's end, is so written in the period still open, never in one
already exported; its numbers (``EcritureNum``) follow the order entries are written in.

Each entry is recorded once per source (``source_key``, unique per tenant): an event delivered
twice, or a call made twice, finds the entry already there and records nothing more.

**For other features** (gift campaigns, vouchers): call ``record_voucher(...)`` in the
transaction that issues a voucher, and again with ``cancelled=True`` in the one that cancels
it (docs/subsidies.md, "Accounting").
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import Invalid
from subsidies.accounting import repository
from subsidies.accounting.chart import Account, Budget, Chart, Role, Source
from subsidies.accounting.models import LedgerEntry, LedgerLine, LedgerSubject
from subsidies.base import events, subject_data
from subsidies.bookings.models import Booking
from subsidies.campaigns import repository as campaigns
from subsidies.campaigns.models import VoucherUse
from subsidies.grants.models import Grant, GrantStatus

#: A date as the routes take it: YYYY-MM-DD, ASCII digits (not an ISO week, not ``20260101``).
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Books:
    """The chart the entries are written with, bound once at start-up (``build_context``),
    like the data-subject declarations: grants and bookings record entries without carrying
    the settings."""

    def __init__(self) -> None:
        self._chart: Chart | None = None
        self._zone: ZoneInfo | None = None

    def bind(self, chart: Chart, *, timezone: str) -> None:
        self._chart = chart
        self._zone = ZoneInfo(timezone)  # an unknown zone fails at start-up, not on an entry

    @property
    def chart(self) -> Chart:
        if self._chart is None:
            raise RuntimeError("subsidies: the chart of accounts is not bound (build_context)")
        return self._chart

    def day(self, when: datetime) -> date:
        """``when``'s day in the works council's time zone (an entry's and its document's)."""
        if self._zone is None:
            raise RuntimeError("subsidies: the books' time zone is not bound (build_context)")
        return when.astimezone(self._zone).date()

    def midnight(self, day: date) -> datetime:
        """00:00 on ``day`` in the works council's time zone, as a UTC time."""
        if self._zone is None:
            raise RuntimeError("subsidies: the books' time zone is not bound (build_context)")
        return datetime(day.year, day.month, day.day, tzinfo=self._zone).astimezone(UTC)


books = Books()


@dataclass(frozen=True)
class Line:
    account: Account
    debit: int = 0
    credit: int = 0
    #: The auxiliary account: the random id of a record, never a person.
    aux: str | None = None


async def _write(
    db: AsyncSession,
    *,
    tenant_id: str,
    budget: Budget,
    source_key: str,
    piece_ref: str,
    label: str,
    lines: Sequence[Line],
    when: datetime,
    now: datetime | None,
    user_id: str | None,
    reverses_id: str | None = None,
) -> LedgerEntry | None:
    """One balanced entry, numbered next in the tenant's sequence, dated ``now`` (when it is
    written: the platform's clock unless given), its document dated ``when`` (when the
    operation happened); None when it is already recorded or moves no money."""
    if await repository.entry_of(db, tenant_id=tenant_id, source_key=source_key) is not None:
        return None
    lines = [line for line in lines if line.debit or line.credit]
    if not lines:
        return None
    if sum(x.debit for x in lines) != sum(x.credit for x in lines):
        raise ValueError(f"unbalanced entry {source_key}")  # a bug, never the caller's input
    journal = books.chart.journals[budget]
    number = await repository.next_number(db, tenant_id=tenant_id)  # waits for the others
    written = utcnow() if now is None else now  # after the wait: the time it is written
    # Numbers follow the dates: an entry whose clock was read before a later-dated one took
    # the number before it (around midnight) is booked on that later day, never before it.
    before = await repository.date_of_number(db, tenant_id=tenant_id, number=number - 1)
    booked = max(books.day(written), before) if before else books.day(written)
    entry = LedgerEntry(
        tenant_id=tenant_id,
        number=number,
        budget=budget,
        journal_code=journal.code,
        journal_label=journal.label,
        entry_date=booked,
        piece_ref=piece_ref,
        piece_date=books.day(when),
        label=label,
        source_key=source_key,
        reverses_id=reverses_id,
        recorded_at=written,
    )
    entry.lines = [
        LedgerLine(
            position=i,
            account_number=x.account.number,
            account_label=x.account.label,
            aux=x.aux,
            debit_cents=x.debit,
            credit_cents=x.credit,
        )
        for i, x in enumerate(lines, start=1)
    ]
    db.add(entry)
    await db.flush()
    if user_id is not None:
        db.add(
            LedgerSubject(
                entry_id=entry.id, tenant_id=tenant_id, user_id=user_id, recorded_at=written
            )
        )
        await db.flush()
        await subject_data.record_personal_data(db, events, subject=user_id, tenant=tenant_id)
    return entry


async def _reverse(
    db: AsyncSession,
    *,
    tenant_id: str,
    of: str,
    source_key: str,
    label: str,
    when: datetime,
    now: datetime | None,
    user_id: str | None,
) -> LedgerEntry | None:
    """A new entry that cancels the one recorded for ``of`` (its lines, debits and credits
    swapped, with the accounts it was written with), dated like any entry: written ``now``,
    its document (the cancellation, the refund) ``when``; None when there is nothing to
    reverse."""
    original = await repository.entry_of(db, tenant_id=tenant_id, source_key=of)
    if original is None:
        return None
    return await _write(
        db,
        tenant_id=tenant_id,
        budget=Budget(original.budget),
        source_key=source_key,
        piece_ref=original.piece_ref,
        label=label,
        lines=[
            Line(
                Account(number=x.account_number, label=x.account_label),
                debit=x.credit_cents,
                credit=x.debit_cents,
                aux=x.aux,
            )
            for x in original.lines
        ],
        when=when,
        now=now,
        user_id=user_id,
        reverses_id=original.id,
    )


def _account(source: Source, role: Role) -> Account:
    chart = books.chart
    return chart.account(chart.budgets[source], role)


# -- the sources ------------------------------------------------------------------------------


async def record_grant(db: AsyncSession, grant: Grant) -> LedgerEntry | None:
    """A subsidy granted: the budget's expense, owed to the order or booking it pays for.
    Called in the transaction that makes the grant: written and dated its ``created_at``."""
    record = grant.order_id or grant.booking_id or grant.id
    return await _write(
        db,
        tenant_id=grant.tenant_id,
        budget=books.chart.budgets[Source.GRANT],
        source_key=f"grant:{grant.id}",
        piece_ref=record,
        label="Subvention " + ("commande" if grant.order_id else "activité"),
        lines=[
            Line(_account(Source.GRANT, Role.SUBSIDIES), debit=grant.amount_cents),
            Line(_account(Source.GRANT, Role.BENEFICIARIES), credit=grant.amount_cents, aux=record),
        ],
        when=grant.created_at,
        now=grant.created_at,
        user_id=grant.user_id,
    )


async def release_grant(
    db: AsyncSession, grant: Grant, *, now: datetime, occurred_at: datetime | None = None
) -> LedgerEntry | None:
    """A subsidy given back (order cancelled or refunded, hold expired, booking cancelled):
    written ``now``, its document dated ``occurred_at`` (the order's event) or ``now``."""
    return await _reverse(
        db,
        tenant_id=grant.tenant_id,
        of=f"grant:{grant.id}",
        source_key=f"grant.released:{grant.id}",
        label="Annulation subvention",
        when=now if occurred_at is None else occurred_at,
        now=now,
        user_id=grant.user_id,
    )


async def record_order_paid(
    db: AsyncSession,
    *,
    tenant_id: str,
    user_id: str | None,
    order_id: str,
    total_cents: int,
    subsidy_cents: int,
    when: datetime,
    voucher_cents: int = 0,
    now: datetime | None = None,
) -> LedgerEntry | None:
    """An order paid: what the buyer paid reaches the bank, the subsidy settles what the
    grant owed and what the order took from gift vouchers (``voucher_cents``, part of
    ``subsidy_cents``) what the vouchers owed, and the partner is owed the whole price.
    Its document is dated ``when`` (the payment), the entry ``now`` (written)."""
    if total_cents < 0 or not 0 <= subsidy_cents <= total_cents:
        raise Invalid("an order's amounts are inconsistent")
    voucher_cents = min(max(voucher_cents, 0), subsidy_cents)
    return await _write(
        db,
        tenant_id=tenant_id,
        budget=books.chart.budgets[Source.ORDER],
        source_key=f"order.paid:{order_id}",
        piece_ref=order_id,
        label="Commande payée",
        lines=[
            Line(_account(Source.ORDER, Role.BANK), debit=total_cents - subsidy_cents),
            Line(
                _account(Source.ORDER, Role.BENEFICIARIES),
                debit=subsidy_cents - voucher_cents,
                aux=order_id,
            ),
            Line(_account(Source.ORDER, Role.VOUCHER_ISSUERS), debit=voucher_cents, aux=order_id),
            Line(_account(Source.ORDER, Role.PARTNERS), credit=total_cents, aux=order_id),
        ],
        when=when,
        now=now,
        user_id=user_id,
    )


async def record_order_refunded(
    db: AsyncSession,
    *,
    tenant_id: str,
    user_id: str | None,
    order_id: str,
    when: datetime,
    now: datetime | None = None,
) -> LedgerEntry | None:
    """A paid order refunded: its payment's entry reversed (its grants are released apart),
    its document dated ``when`` (the refund), the entry ``now`` (written)."""
    return await _reverse(
        db,
        tenant_id=tenant_id,
        of=f"order.paid:{order_id}",
        source_key=f"order.refunded:{order_id}",
        label="Remboursement commande",
        when=when,
        now=now,
        user_id=user_id,
    )


async def record_booking(db: AsyncSession, booking: Booking) -> LedgerEntry | None:
    """An activity booked: the rest after the subsidy is collected by SEPA direct debit.
    Called in the booking's transaction: written and dated its ``created_at``."""
    debit = booking.price_cents - booking.subsidy_cents
    return await _write(
        db,
        tenant_id=booking.tenant_id,
        budget=books.chart.budgets[Source.BOOKING],
        source_key=f"booking:{booking.id}",
        piece_ref=booking.id,
        label="Activité réservée, prélèvement SEPA",
        lines=[
            Line(_account(Source.BOOKING, Role.BANK), debit=debit),
            Line(
                _account(Source.BOOKING, Role.BENEFICIARIES),
                debit=booking.subsidy_cents,
                aux=booking.id,
            ),
            Line(
                _account(Source.BOOKING, Role.PARTICIPATIONS),
                credit=booking.price_cents,
                aux=booking.id,
            ),
        ],
        when=booking.created_at,
        now=booking.created_at,
        user_id=booking.user_id,
    )


async def cancel_booking(db: AsyncSession, booking: Booking, *, now: datetime) -> None:
    await _reverse(
        db,
        tenant_id=booking.tenant_id,
        of=f"booking:{booking.id}",
        source_key=f"booking.cancelled:{booking.id}",
        label="Annulation activité, prélèvement remboursé",
        when=now,
        now=now,
        user_id=booking.user_id,
    )


async def record_voucher(
    db: AsyncSession,
    *,
    tenant_id: str,
    voucher_id: str,
    when: datetime,
    amount_cents: int = 0,
    user_id: str | None = None,
    cancelled: bool = False,
    now: datetime | None = None,
) -> LedgerEntry | None:
    """A gift voucher issued (``cancelled=False``) or cancelled: the budget's expense, owed to
    the voucher's issuer (auxiliary account: the voucher's id). Call it in the transaction that
    issues or cancels the voucher; calling again records nothing more. ``user_id`` is the
    beneficiary's account id (never a name or an email), kept apart from the books. A
    cancellation needs no amount: it reverses the entry of the issue, if there is one. The
    document is dated ``when`` (the issue or the cancellation), the entry ``now`` (when it is
    written: the platform's clock unless given)."""
    if cancelled:
        return await _reverse(
            db,
            tenant_id=tenant_id,
            of=f"voucher:{voucher_id}",
            source_key=f"voucher.cancelled:{voucher_id}",
            label="Annulation bon d'achat",
            when=when,
            now=now,
            user_id=user_id,
        )
    if amount_cents <= 0:
        raise Invalid("a voucher's amount must be positive")
    return await _write(
        db,
        tenant_id=tenant_id,
        budget=books.chart.budgets[Source.VOUCHER],
        source_key=f"voucher:{voucher_id}",
        piece_ref=voucher_id,
        label="Bon d'achat offert",
        lines=[
            Line(_account(Source.VOUCHER, Role.VOUCHERS), debit=amount_cents),
            Line(
                _account(Source.VOUCHER, Role.VOUCHER_ISSUERS),
                credit=amount_cents,
                aux=voucher_id,
            ),
        ],
        when=when,
        now=now,
        user_id=user_id,
    )


async def on_order_event(
    db: AsyncSession,
    *,
    event_type: str,
    tenant_id: str | None,
    user_id: str | None,
    payload: dict[str, Any],
    occurred_at: datetime,
    now: datetime | None = None,
    voucher_uses: Sequence[VoucherUse] | None = None,
) -> None:
    """The orders' events the books follow: ``order.paid`` (with ``total_cents`` and
    ``subsidy_cents``) and ``order.refunded``; the grants' side is recorded by the grants.
    The entry is dated ``now``, when the worker writes it (the platform's clock unless given),
    however late the event arrives; its document ``occurred_at``, when the order was paid or
    refunded. ``voucher_uses``: the order's uses of vouchers when the caller has just moved
    them (read here otherwise)."""
    order_id = str(payload["order_id"])
    if tenant_id is None:
        return
    if event_type == "order.paid" and "total_cents" in payload:
        uses = (
            voucher_uses
            if voucher_uses is not None
            else await campaigns.uses_of_order(db, order_id=order_id)
        )
        await record_order_paid(
            db,
            tenant_id=tenant_id,
            user_id=user_id,
            order_id=order_id,
            total_cents=int(payload["total_cents"]),
            subsidy_cents=int(payload.get("subsidy_cents", 0)),
            voucher_cents=sum(u.amount_cents for u in uses if u.status != GrantStatus.RELEASED),
            when=occurred_at,
            now=now,
        )
    elif event_type == "order.refunded":
        await record_order_refunded(
            db,
            tenant_id=tenant_id,
            user_id=user_id,
            order_id=order_id,
            when=occurred_at,
            now=now,
        )


# -- the export -------------------------------------------------------------------------------


def period(start: str, end: str, *, max_days: int) -> tuple[date, date]:
    """The period asked for, checked: two dates YYYY-MM-DD, the first not after the second,
    at most ``max_days`` apart."""
    if not (DAY.fullmatch(start) and DAY.fullmatch(end)):
        raise Invalid("from and to must be dates written YYYY-MM-DD")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise Invalid("from and to must be dates written YYYY-MM-DD") from None
    if first > last:
        raise Invalid("the period ends before it starts")
    if last - first > timedelta(days=max_days):
        raise Invalid(f"a period covers at most {max_days} days")
    return first, last


async def journal(
    db: AsyncSession, *, tenant_id: str, start: date, end: date
) -> Sequence[LedgerEntry]:
    return await repository.entries_between(db, tenant_id=tenant_id, start=start, end=end)


@dataclass(frozen=True)
class BudgetTotal:
    budget: Budget
    journal: str
    entries: int
    debit_cents: int
    credit_cents: int


async def totals(db: AsyncSession, *, tenant_id: str, start: date, end: date) -> list[BudgetTotal]:
    """Per budget (both, even when empty): entries, debits and credits of the period."""
    found = {
        b: (n, d, c)
        for b, n, d, c in await repository.totals_between(
            db, tenant_id=tenant_id, start=start, end=end
        )
    }
    return [
        BudgetTotal(b, books.chart.journals[b].code, *found.get(b.value, (0, 0, 0)))
        for b in (Budget.ASC, Budget.AEP)
    ]
