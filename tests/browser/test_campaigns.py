"""Gift campaigns in the browser: a tenant admin previews a Christmas campaign at the exemption
limit and creates it, is warned (and must confirm) before a second one goes over it, reads the
yearly report; the eligible employee sees the vouchers in the shop. axe runs on each screen."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Browse, Staff, log_in, new_employee, staff_tab

pytestmark = pytest.mark.e2e

#: Only this test's employee has that many children: the campaigns reach nobody else.
CHILDREN = "19"


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
