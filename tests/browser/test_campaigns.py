"""Gift campaigns in the browser: a tenant admin previews a Christmas campaign at the exemption
limit and creates it, is warned (and must confirm) before a second one goes over it, reads the
yearly report; the eligible employee sees the vouchers in the shop. axe runs on each screen, in
French and in English."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    Browse,
    Staff,
    english_staff_tab,
    log_in,
    new_employee,
    staff_tab,
    switch_to_english,
)

pytestmark = pytest.mark.e2e

#: Only this test's employee has that many children: the campaigns reach nobody else.
CHILDREN = "19"
#: The English test's employee: beyond the French test's campaigns (19 children at least) and
#: another event, so that neither test's limits meet the other's vouchers.
CHILDREN_EN = "20"


def fill_campaign(page: Page, amount: str) -> None:
    page.get_by_label("Nom", exact=True).fill("Noël web")
    page.get_by_label("Événement", exact=True).select_option("christmas")
    page.get_by_label("Montant par bénéficiaire (€)").fill(amount)
    page.get_by_label("Enfants à charge (minimum)").fill(CHILDREN)
    page.get_by_role("button", name="Prévisualiser").click()


def test_admin_runs_a_gift_campaign_and_the_employee_sees_the_vouchers(
    browse: Browse, staff: Callable[[str], Staff]
) -> None:
    admin = staff("admin@demo.test")
    person = new_employee(admin, first="Gaspard")
    shop = browse.tab()
    log_in(shop, person["email"])
    shop.open("/profile")
    shop.page.get_by_label("Nombre d'enfants à charge").fill(CHILDREN)
    shop.page.get_by_role("button", name="Enregistrer mon profil").click()
    expect(shop.page.get_by_text("Profil enregistré")).to_be_visible()

    tab = staff_tab(browse, admin)
    page = tab.page
    tab.open("/admin/campaigns")
    expect(page.get_by_text("Plafond d'exonération")).to_contain_text("par salarié")
    tab.axe("campaigns")

    # At the limit: within it, created at once.
    fill_campaign(page, "200,25")
    preview = page.get_by_role("region", name="Aperçu de la campagne")
    expect(preview).to_have_attribute("data-preview", "within")
    expect(preview).to_contain_text("Dans le plafond")
    tab.axe("campaign preview within the limit")
    preview.get_by_role("button", name="Créer la campagne").click()
    expect(page.get_by_text("Campagne créée")).to_be_visible()

    # One cent more for the same event: the warning, and no campaign without the confirmation.
    fill_campaign(page, "0,01")
    expect(preview).to_have_attribute("data-preview", "over")
    expect(preview.get_by_role("alert")).to_contain_text("dépasseraient le plafond")
    over = preview.get_by_role("table", name="Bénéficiaires au-delà du plafond")
    expect(over).to_contain_text(person["id"][:8])
    tab.shot("campaign-over-the-limit")
    tab.axe("campaign preview over the limit")
    preview.get_by_role("button", name="Créer la campagne").click()
    expect(page.get_by_role("alert").filter(has_text="confirm_over_limit")).to_be_visible()
    preview.get_by_label(
        "Je confirme : au-delà du plafond, tout le montant de l'événement n'est pas exonéré"
    ).check()
    preview.get_by_role("button", name="Créer la campagne").click()
    expect(page.get_by_text("Campagne créée")).to_be_visible()

    # The list and the yearly report (ids only).
    expect(page.get_by_role("table", name="Campagnes cadeaux")).to_contain_text("Noël web")
    report = page.get_by_role("table", name=re.compile(r"Bons de \d{4} par personne"))
    mine = report.locator("tbody tr").filter(has_text=person["id"][:8])
    # One cent above the limit: the whole event (200,26) is not exempt, nothing is (0,00).
    expect(mine).to_contain_text(re.compile(r"200,26.*200,25.*0,00.*200,26", re.S))
    expect(report).not_to_contain_text("Gaspard")
    tab.shot("campaign-report")
    tab.axe("campaign report")

    # The employee's shop shows both vouchers.
    shop.open("/offers")
    vouchers = shop.page.get_by_role("table", name="Vos bons cadeaux")
    expect(vouchers.locator("tbody tr")).to_have_count(2)
    expect(shop.page.locator("[data-field=vouchers-left]")).to_contain_text("200,26")
    ticket = shop.page.get_by_role("listitem").filter(has_text="Place de cinéma")
    ticket.get_by_role("button", name="Ajouter au panier").click()
    # 7.50 € less the cinema rule's 3 €: the vouchers pay the other 4.50 €, nothing left to pay.
    expect(shop.page.get_by_text("Bons cadeaux (estimation)")).to_be_visible()
    expect(shop.page.locator(".totals dd.strong")).to_contain_text("0,00")
    shop.shot("shop-vouchers")
    shop.axe("shop with vouchers")


def test_the_gift_campaign_screens_in_english(
    browse: Browse, staff: Callable[[str], Staff]
) -> None:
    admin = staff("admin@demo.test")
    person = new_employee(admin, first="Ingrid")
    shop = browse.tab()
    log_in(shop, person["email"])
    switch_to_english(shop)
    shop.open("/profile")
    shop.page.get_by_label("Number of dependent children").fill(CHILDREN_EN)
    shop.page.get_by_role("button", name="Save my profile").click()
    expect(shop.page.get_by_text("Profile saved")).to_be_visible()

    tab = english_staff_tab(browse, admin, "/admin/campaigns")
    page = tab.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Gift campaigns")
    expect(page.get_by_role("heading", name="New campaign")).to_be_visible()
    expect(page.get_by_role("heading", name="Yearly exemption report")).to_be_visible()
    page.get_by_label("Event", exact=True).select_option("wedding")
    expect(page.get_by_text(re.compile(r"^Exempt limit \d{4}: .+ per employee\.$"))).to_be_visible()
    for french in ("Nouvelle campagne", "Plafond d'exonération", "Bilan annuel", "Prévisualiser"):
        expect(page.get_by_text(french)).to_have_count(0)
    tab.axe("campaigns in English")

    page.get_by_label("Name", exact=True).fill("Wedding web")
    page.get_by_label("Amount per beneficiary (€)").fill("50.00")
    page.get_by_label("Dependent children (minimum)").fill(CHILDREN_EN)
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview of the campaign")
    expect(preview).to_have_attribute("data-preview", "within")
    expect(preview).to_contain_text("Every voucher stays within the exemption limit.")
    expect(preview).to_contain_text("Exempt limit per employee")
    expect(preview).not_to_contain_text("Bénéficiaires")
    tab.shot("campaign-preview-en")
    tab.axe("campaign preview in English")
    preview.get_by_role("button", name="Create the campaign").click()
    expect(page.get_by_text("Campaign created")).to_be_visible()
    listed = page.get_by_role("table", name="Gift campaigns")
    expect(listed.locator("tbody tr").filter(has_text="Wedding web")).to_contain_text("Wedding")
    report = page.get_by_role("table", name=re.compile(r"^Vouchers of \d{4} per person and event"))
    mine = report.locator("tbody tr").filter(has_text=person["id"][:8])
    expect(mine).to_contain_text(re.compile(r"Wedding.*€50\.00", re.S))
    expect(page.get_by_role("link", name="Download this page as CSV")).to_be_visible()
    expect(page.get_by_text("Campagne créée")).to_have_count(0)
    tab.shot("campaign-report-en")
    tab.axe("campaign report in English")

    # The employee's shop in English: the voucher, and what it pays of the basket.
    shop.open("/offers")
    vouchers = shop.page.get_by_role("table", name="Your gift vouchers")
    expect(vouchers.locator("tbody tr")).to_have_count(1)
    expect(vouchers).to_contain_text("Wedding")
    expect(shop.page.get_by_text("Left to spend:")).to_contain_text("€50.00")
    expect(
        shop.page.get_by_text("your vouchers pay what the subsidy leaves to pay")
    ).to_be_visible()
    ticket = shop.page.get_by_role("listitem").filter(has_text="Place de cinéma")
    ticket.get_by_role("button", name="Add to basket").click()
    expect(shop.page.get_by_text("Gift vouchers (estimate)")).to_be_visible()
    for french in ("Vos bons cadeaux", "Reste à dépenser", "Bons cadeaux (estimation)", "Mariage"):
        expect(shop.page.get_by_text(french)).to_have_count(0)
    shop.shot("shop-vouchers-en")
    shop.axe("shop with vouchers in English")
