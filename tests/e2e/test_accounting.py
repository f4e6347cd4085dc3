"""The treasurer's books through the gateway: a month of activity (orders paid with
subsidies, a cancelled one, activities paid by SEPA direct debit, a gift voucher recorded
through ``record_voucher``) exports as a FEC and as CSV that balance to the cent; exporting
again gives the same bytes; what was exported is never changed (a correction after the export
is a new entry after it); after a person's erasure the books still balance with no trace of
them."""

import asyncio
import calendar
import csv
import io
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from kit.db import Database
from subsidies.accounting import fec
from subsidies.accounting.service import record_voucher
from subsidies.config import Settings
from subsidies.context import build_context
from tests.e2e.conftest import Platform, wait_quiet
from tests.e2e.test_orders import pay, wait_status
from tests.e2e.test_privacy import _rows_mentioning, new_employee, wait_done
from tests.e2e.test_subsidies import BIC, IBAN, cinema, parent

pytestmark = pytest.mark.e2e

#: Entries are dated in the works council's time (ACCOUNTING_TIMEZONE).
TODAY = datetime.now(ZoneInfo("Europe/Paris")).date()
MONTH = (
    f"?from={TODAY.replace(day=1).isoformat()}"
    f"&to={TODAY.replace(day=calendar.monthrange(TODAY.year, TODAY.month)[1]).isoformat()}"
)


def parse(body: bytes) -> list[dict[str, str]]:
    """The FEC's records as dicts of its 18 columns (the header checked)."""
    text = body.decode(fec.FEC_ENCODING)
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    assert lines[0].split("\t") == list(fec.COLUMNS)
    rows = [dict(zip(fec.COLUMNS, line.split("\t"), strict=True)) for line in lines[1:]]
    return rows


def cents(amount: str) -> int:
    return int(Decimal(amount.replace(",", ".")) * 100)


def assert_balanced(rows: list[dict[str, str]]) -> None:
    """Debits equal credits, in all and entry by entry."""
    per_entry: dict[str, int] = defaultdict(int)
    for row in rows:
        assert row["EcritureDate"] == row["ValidDate"] and len(row["EcritureDate"]) == 8
        per_entry[row["EcritureNum"]] += cents(row["Debit"]) - cents(row["Credit"])
    assert sum(cents(r["Debit"]) for r in rows) == sum(cents(r["Credit"]) for r in rows)
    assert set(per_entry.values()) <= {0}, per_entry


def export(admin: httpx.Client, kind: str = "fec") -> bytes:
    answer = admin.get(f"/api/accounting/entries.{kind}{MONTH}")
    assert answer.status_code == 200, answer.text
    return answer.content


def wait_for(admin: httpx.Client, *pieces: str, label: str = "") -> bytes:
    """The FEC once it holds an entry (whose label starts with ``label``) for each piece."""
    deadline = time.monotonic() + 30
    while True:
        body = export(admin)
        rows = parse(body)
        found = {r["PieceRef"] for r in rows if r["EcritureLib"].startswith(label)}
        if set(pieces) <= found:
            return body
        assert time.monotonic() < deadline, f"no entry {label!r} for {set(pieces) - found}"
        time.sleep(0.3)


def order(person: httpx.Client, ticket: dict[str, Any], quantity: int) -> dict[str, Any]:
    placed = person.post(
        "/api/orders", json={"items": [{"offer_id": ticket["id"], "quantity": quantity}]}
    )
    assert placed.status_code == 201, placed.text
    body: dict[str, Any] = placed.json()
    return body


def book(person: httpx.Client, holder: str) -> dict[str, Any]:
    mandate = person.post(
        "/api/subsidies/mandates", json={"holder": holder, "iban": IBAN, "bic": BIC}
    ).json()
    activity = person.get("/api/subsidies/activities").json()[0]
    booked = person.post(
        "/api/subsidies/bookings", json={"activity_id": activity["id"], "mandate_id": mandate["id"]}
    )
    assert booked.status_code == 201, booked.text
    body: dict[str, Any] = booked.json()
    return body


def gift_voucher(
    platform: Platform, voucher_id: str, *, user_id: str | None, amount_cents: int = 5000
) -> None:
    """A gift voucher of tenant ``demo``, recorded as the gift campaigns record one: in their
    own transaction, through ``record_voucher`` (the worker's and the app's code, in process)."""
    recorded = _voucher(platform, voucher_id, user_id=user_id, amount_cents=amount_cents)
    # A thread of its own: the browser suite's Playwright holds an event loop on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, recorded).result()


async def _voucher(
    platform: Platform, voucher_id: str, *, user_id: str | None, amount_cents: int
) -> None:
    urls = platform.stack.config.database_urls
    conn = await asyncpg.connect(urls["identity"].replace("postgresql+asyncpg", "postgresql"))
    try:
        tenant = str(await conn.fetchval("SELECT id FROM tenants WHERE slug = 'demo'"))
    finally:
        await conn.close()
    build_context(Settings(database_url=urls["subsidies"]))
    database = Database(urls["subsidies"])
    try:
        async with database.transaction() as db:
            await record_voucher(
                db,
                tenant_id=tenant,
                voucher_id=voucher_id,
                amount_cents=amount_cents,
                when=datetime.now(UTC),
                user_id=user_id,
            )
    finally:
        await database.dispose()


def test_a_month_of_activity_exports_balanced_books_that_never_change(
    platform: Platform,
) -> None:
    admin = platform.login("admin@demo.test")
    ann, _ann_email, ann_id = parent(platform)
    ben, _ben_email, _ben_id = parent(platform)
    eve_email, eve_last, eve_id = new_employee(platform, first="Eve", last="Ledgerson")
    eve = platform.login(eve_email)
    assert eve.put("/api/subsidies/profile", json={"children_count": 2}).status_code == 200
    ticket = cinema(ann)
    # Orders paid with subsidies, one left unpaid (to be cancelled after the export).
    paid = [order(ann, ticket, 2), order(ben, ticket, 1), order(eve, ticket, 3)]
    for person, placed in zip((ann, ben, eve), paid, strict=True):
        assert placed["subsidy_cents"] > 0
        pay(person, placed["id"])
        wait_status(person, placed["id"], "fulfilled")
    unpaid = order(ben, ticket, 1)
    # Activities paid by SEPA direct debit (half by the holiday rule).
    ann_booking, eve_booking = book(ann, "Ann Lee"), book(eve, "Eve Ledgerson")
    assert ann_booking["debit_cents"] > 0 and ann_booking["subsidy_cents"] > 0
    # A gift voucher, as the gift campaigns record it.
    voucher = f"voucher-{ann_id[:8]}"
    gift_voucher(platform, voucher, user_id=ann_id)

    wait_for(admin, *(p["id"] for p in paid), label="Commande payée")
    wait_for(admin, ann_booking["id"], eve_booking["id"], unpaid["id"], voucher)
    wait_quiet(platform)
    first = export(admin)
    assert export(admin) == first  # exported again: the same bytes
    rows = parse(first)
    assert_balanced(rows)
    assert {r["JournalCode"] for r in rows} == {"ASC"}
    numbers = [int(r["EcritureNum"]) for r in rows]
    assert numbers == sorted(numbers)
    # To the cent: the subsidies' expense of these orders is what the orders got.
    for placed in [*paid, unpaid]:
        expense = [
            cents(r["Debit"])
            for r in rows
            if r["PieceRef"] == placed["id"] and r["CompteNum"] == "6572"
        ]
        assert sum(expense) == placed["subsidy_cents"], placed
        bank = [
            cents(r["Debit"])
            for r in rows
            if r["PieceRef"] == placed["id"] and r["CompteNum"] == "5122"
        ]
        assert sum(bank) == (placed["to_pay_cents"] if placed in paid else 0)
    sepa = [r for r in rows if r["PieceRef"] == ann_booking["id"] and r["CompteNum"] == "5122"]
    assert [cents(r["Debit"]) for r in sepa] == [ann_booking["debit_cents"]]
    assert [
        r["CompAuxNum"] for r in rows if r["PieceRef"] == voucher and r["CompteNum"] == "4082"
    ] == [voucher]
    # The CSV holds the same lines, and the totals agree.
    table = list(csv.DictReader(io.StringIO(export(admin, "csv").decode())))
    assert len(table) == len(rows)
    assert sum(Decimal(r["Debit"]) for r in table) == sum(Decimal(r["Credit"]) for r in table)
    totals = admin.get(f"/api/accounting/totals{MONTH}").json()
    asc = next(b for b in totals["budgets"] if b["budget"] == "asc")
    assert totals["balanced"] and asc["debit_cents"] == sum(cents(r["Debit"]) for r in rows)

    # Corrections after the export: new entries after it; what was exported stays as it was.
    assert ben.post(f"/api/orders/{unpaid['id']}/cancel").status_code == 200
    assert ann.post(f"/api/subsidies/bookings/{ann_booking['id']}/cancel").status_code == 200
    wait_for(admin, unpaid["id"], label="Annulation subvention")
    corrected = wait_for(admin, ann_booking["id"], label="Annulation activité")
    assert corrected.startswith(first) and len(corrected) > len(first)
    added = parse(corrected)[len(rows) :]
    assert {r["PieceRef"] for r in added} >= {unpaid["id"], ann_booking["id"]}
    assert min(int(r["EcritureNum"]) for r in added) > max(numbers)
    assert_balanced(parse(corrected))

    # Eve is erased: the books keep her order and booking, balanced, and nothing of her.
    wait_quiet(platform)
    before = export(admin)
    erasure = eve.post("/api/privacy/requests", json={"type": "erasure"}).json()
    done = wait_done(platform.login("dpo@demo.test"), erasure["id"])
    assert done["status"] == "completed"
    tables = {t["table"]: t for t in done["report"]["subsidies"]["erase"]["tables"]}
    assert tables["ledger_subjects"]["erased_rows"] >= 2
    assert tables["ledger_subjects"]["kept_rows"] == tables["ledger_subjects"]["erased_rows"]
    wait_quiet(platform)
    after, after_csv = export(admin), export(admin, "csv")
    assert after.startswith(before)  # nothing exported changed
    assert_balanced(parse(after))
    assert {paid[2]["id"], eve_booking["id"]} <= {r["PieceRef"] for r in parse(after)}
    for trace in (eve_email, eve_last, "Eve", eve_id):
        assert trace.encode() not in after and trace.encode() not in after_csv, trace
    found = asyncio.run(
        _rows_mentioning(platform.stack.config.database_urls["subsidies"], [eve_id, eve_email])
    )
    assert not [t for t in found if t.startswith("ledger_")], found


def test_only_the_treasurer_exports_and_bad_periods_are_refused(platform: Platform) -> None:
    admin, bob = platform.login("admin@demo.test"), platform.login("bob@demo.test")
    assert bob.get(f"/api/accounting/entries.fec{MONTH}").status_code == 403
    assert platform.client().get(f"/api/accounting/entries.fec{MONTH}").status_code == 401
    for bad in (
        "?from=2026-13-01&to=2026-12-31",
        "?from=2026-06-30&to=2026-06-01",
        "?from=2020-01-01&to=2026-01-01",
        "?to=2026-06-01",
    ):
        refused = admin.get(f"/api/accounting/entries.fec{bad}")
        assert refused.status_code == 422, bad
        assert admin.get(f"/api/accounting/entries.csv{bad}").status_code == 422, bad
