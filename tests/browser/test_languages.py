"""The server's texts follow the interface's language: the front end sends
``Accept-Language`` with it on every API call (``js/api.js``), so the DPO who switches to
English reads the register of processing in English, and its export links ask for English
too (``?lang=``); switching back gives French again. axe-core on both."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browse, Staff, staff_tab
from tests.browser.test_dpo import declared

pytestmark = pytest.mark.e2e


def test_switching_to_english_shows_the_register_in_english(
    browse: Browse, staff: Callable[[str], Staff]
) -> None:
    dpo = staff("dpo@demo.test")
    declared(dpo)
    tab = staff_tab(browse, dpo)
    page = tab.page
    tab.open("/dpo/register")
    # French, the default: the interface's words and the server's.
    expect(page.get_by_role("heading", name="Commandes, paiement et livraison")).to_be_visible()
    expect(page.get_by_text("partenaires chargés de la livraison").first).to_be_visible()
    csv_link = page.get_by_role("link", name="Exporter en CSV")
    expect(csv_link).to_have_attribute("href", re.compile(r"format=csv&lang=fr$"))
    tab.axe("register in French")
    try:
        page.get_by_role("button", name="English").click()
        tab.settle()
        expect(page.get_by_role("heading", name="Orders, payment and delivery")).to_be_visible()
        expect(page.get_by_text("fulfilment partners").first).to_be_visible()
        expect(page.get_by_role("heading", name="Commandes, paiement et livraison")).to_have_count(
            0
        )
        expect(page.get_by_text("partenaires chargés de la livraison")).to_have_count(0)
        tab.shot("register-english")
        tab.axe("register in English")
        csv_link = page.get_by_role("link", name="Export as CSV")
        expect(csv_link).to_have_attribute("href", re.compile(r"format=csv&lang=en$"))
        with page.expect_download() as download:
            csv_link.click()
        text = download.value.path().read_text(encoding="utf-8")
        assert "Orders, payment and delivery" in text and "purchase" in text
        assert "Commandes, paiement et livraison" not in text
    finally:
        # The staff session is shared by the other browser tests: back to French.
        page.get_by_role("button", name="Français").click()
        tab.settle()
    expect(page.get_by_role("heading", name="Commandes, paiement et livraison")).to_be_visible()
    tab.check_clean()
