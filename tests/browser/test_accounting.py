"""The CSE's treasurer in the browser: the month's totals per budget, a period refused when it
ends before it starts, the FEC and the CSV downloaded (balanced, the 18 columns), in French
and in English, each screen checked by axe."""

import csv
import io
import secrets
from collections.abc import Callable
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from subsidies.accounting import fec
from tests.browser.conftest import Browse, Staff, english_staff_tab, staff_tab
from tests.e2e.conftest import Platform
from tests.e2e.test_accounting import assert_balanced, gift_voucher, parse

pytestmark = pytest.mark.e2e


def test_the_treasurer_reads_the_totals_and_downloads_the_fec_and_the_csv(
    browse: Browse, staff: Callable[[str], Staff], platform: Platform
) -> None:
    voucher = f"voucher-{secrets.token_hex(4)}"
    gift_voucher(platform, voucher, user_id=None, amount_cents=4321)
    admin = staff("admin@demo.test")
    tab = staff_tab(browse, admin)
    page = tab.page
    tab.open("/admin/accounting")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comptabilité")
    totals = page.get_by_role("table", name="Totaux du")
    expect(totals).to_be_visible()
    asc = totals.locator("tbody tr", has_text="Activités sociales et culturelles (ASC)")
    expect(asc).to_contain_text("Oui")
    expect(totals.locator("tbody tr", has_text="Tous budgets")).to_contain_text("Oui")
    tab.shot("accounting-totals")
    tab.axe("accounting")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le FEC").click()
    assert download.value.suggested_filename.startswith("FEC")
    body = download.value.path().read_bytes()
    rows = parse(body)
    assert_balanced(rows)
    assert [r["Debit"] for r in rows if r["PieceRef"] == voucher] == ["43,21", "0,00"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en CSV").click()
    table = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert list(table[0])[: len(fec.COLUMNS)] == list(fec.COLUMNS)
    assert sum(Decimal(r["Debit"]) for r in table) == sum(Decimal(r["Credit"]) for r in table)

    # A period that ends before it starts: said, and nothing to download.
    page.get_by_label("Du", exact=True).fill("2026-06-30")
    page.get_by_label("Au", exact=True).fill("2026-06-01")
    page.get_by_role("button", name="Afficher les totaux").click()
    expect(page.get_by_role("alert")).to_contain_text("le début au plus tard à la fin")
    expect(page.get_by_role("link", name="Télécharger le FEC")).to_be_hidden()
    tab.axe("accounting, bad period")
    tab.check_clean()


def test_the_accounts_screen_in_english_on_a_phone(
    browse: Browse, staff: Callable[[str], Staff]
) -> None:
    # The treasurer's session in a phone's browser of its own (its language is its own too).
    tab = english_staff_tab(browse, staff("admin@demo.test"), "/admin/accounting", phone=True)
    page = tab.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    expect(page.get_by_role("table", name="Totals from")).to_contain_text("Operating budget (AEP)")
    expect(page.get_by_role("link", name="Download the FEC")).to_be_visible()
    tab.shot("accounting-phone-en")
    tab.axe("accounting, phone, English")
    tab.check_clean()
