"""The family quotient in the browser: a tenant admin sets the formula and the brackets
(#/admin/quotient); an employee declares the two figures and sends the tax notice from
#/profile; the admin finds it in the queue and approves it with a bracket; the employee sees the
bracket. axe-core runs on each new screen (French on a desktop, English on a phone); the admin's
screen in English too."""

import datetime
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    Browse,
    Staff,
    english_staff_tab,
    log_in,
    new_employee,
    staff_tab,
)
from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

NOTICE = b"%PDF-1.4\n% avis d'imposition, navigateur\n%%EOF\n"


def test_an_admin_sets_brackets_an_employee_declares_the_admin_approves(
    browse: Browse, staff: Callable[[str], Staff], platform: Platform
) -> None:
    admin = staff("admin@demo.test")
    settings_tab = staff_tab(browse, admin)
    page = settings_tab.page
    settings_tab.open("/admin/quotient")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quotient familial")
    expect(page.get_by_label("Formule", exact=True)).to_have_value("monthly")
    page.get_by_label("Tranches", exact=True).fill("A 700\nwrong line here\nC")
    page.get_by_label("Tranche par défaut", exact=True).fill("C")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("Chaque ligne est un nom de tranche")
    page.get_by_label("Tranches", exact=True).fill("A 700\nB 1200\nC")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Enregistré.")).to_be_visible()
    expect(page.get_by_text("Aucun avis en attente.")).to_be_visible()
    settings_tab.shot("admin-quotient-settings")
    settings_tab.axe("admin quotient settings")

    # The employee declares from their profile.
    person = new_employee(admin, first="Quentin")
    employee = browse.tab()
    log_in(employee, person["email"])
    employee.open("/profile")
    own = employee.page
    section = own.get_by_role("region", name="Quotient familial")
    expect(section.get_by_text("(tranche par défaut)")).to_be_visible()
    section.get_by_label("Revenu fiscal de référence (€)", exact=True).fill("15000")
    section.get_by_label("Nombre de parts", exact=True).fill("1.3")
    section.get_by_label("Avis d'imposition", exact=True).set_input_files(
        {"name": "avis.pdf", "mimeType": "application/pdf", "buffer": NOTICE}
    )
    section.get_by_role("button", name="Envoyer pour vérification").click()
    expect(section.get_by_role("alert")).to_contain_text("par quarts")
    section.get_by_label("Nombre de parts", exact=True).fill("2")
    section.get_by_role("button", name="Envoyer pour vérification").click()
    expect(section.get_by_text("En attente de vérification", exact=True)).to_be_visible()
    expect(section.get_by_role("button", name="Envoyer pour vérification")).to_be_hidden()
    employee.shot("employee-quotient-pending")
    employee.axe("profile with a pending declaration")

    # The admin's queue: the figures, the quotient (15000 / 2 / 12 = 625: A), the notice's link.
    settings_tab.open("/admin/rules")  # the same route again would not redraw the page
    settings_tab.open("/admin/quotient")
    queue = page.get_by_role("table", name="Avis en attente de vérification")
    row = queue.locator("tbody tr").filter(has_text="15000")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("625 → A")
    link = row.get_by_role("link", name="Voir l'avis")
    href = link.get_attribute("href") or ""
    assert href.startswith("/api/subsidies/quotient/pending/") and href.endswith("/document")
    notice = admin.context.request.get(platform.url + href)
    assert notice.ok and notice.body() == NOTICE
    settings_tab.axe("admin quotient queue")
    settings_tab.shot("admin-quotient-queue")
    expect(row.get_by_role("combobox")).to_have_value("A")
    row.get_by_role("button", name="Accepter").click()
    expect(page.get_by_text("Accepté dans la tranche A ; l'avis est supprimé.")).to_be_visible()
    expect(queue.locator("tbody tr").filter(has_text="15000")).to_have_count(0)
    assert not admin.context.request.get(platform.url + href).ok  # the notice is gone

    # The employee sees the bracket; the same screen in English on a phone.
    employee.open("/offers")
    employee.open("/profile")
    expect(section.get_by_text("Acceptée", exact=True)).to_be_visible()
    expect(section.locator("dd.strong")).to_have_text("A")
    employee.axe("profile with an approved declaration")
    phone = browse.tab(phone=True)
    log_in(phone, person["email"])
    phone.page.get_by_role("button", name="English").click()
    phone.open("/profile")
    english = phone.page.get_by_role("region", name="Family quotient")
    expect(english.get_by_text("Approved", exact=True)).to_be_visible()
    phone.shot("employee-quotient-en-phone")
    phone.axe("profile in English on a phone")


def test_the_admins_family_quotient_screen_in_english(
    browse: Browse, staff: Callable[[str], Staff], platform: Platform
) -> None:
    admin = staff("admin@demo.test")
    # The brackets of the test above (set again when this test runs alone), and a notice sent
    # through the API (the employee's screen is the test above's).
    settings = {
        "formula": "monthly",
        "brackets": [
            {"name": "A", "up_to": 700},
            {"name": "B", "up_to": 1200},
            {"name": "C", "up_to": None},
        ],
        "default_bracket": "C",
    }
    admin.api("PUT", "/api/subsidies/quotient/settings", settings)
    person = new_employee(admin, first="Ulysse")
    client = platform.login(person["email"])
    try:
        sent = client.post(
            "/api/subsidies/quotient",
            data={"income": "24000", "shares": "2.5", "tax_year": str(datetime.date.today().year)},
            files={"document": ("notice.pdf", NOTICE, "application/pdf")},
        )
    finally:
        client.close()
    assert sent.status_code == 201, sent.text

    tab = english_staff_tab(browse, admin, "/admin/quotient")
    page = tab.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Family quotient")
    expect(page.get_by_role("heading", name="Formula and brackets")).to_be_visible()
    expect(page.get_by_role("heading", name="Notices to check")).to_be_visible()
    formula = page.get_by_label("Formula", exact=True)
    expect(formula).to_have_value("monthly")
    expect(formula.locator("option:checked")).to_have_text(
        "Monthly: reference tax income ÷ shares ÷ 12"
    )
    expect(page.get_by_label("Brackets", exact=True)).to_have_value("A 700\nB 1200\nC")
    expect(page.get_by_label("Default bracket", exact=True)).to_have_value("C")
    # 24000 / 2.5 / 12 = 800: B.
    short = person["id"][:8]
    queue = page.get_by_role("table", name="Notices waiting for a check")
    row = queue.locator("tbody tr").filter(has_text=short)
    expect(row).to_contain_text("800 → B")
    expect(row.get_by_role("link", name="View the notice")).to_be_visible()
    expect(row.get_by_label(f"Bracket for {short}")).to_have_value("B")
    expect(row.get_by_role("button", name=f"Approve the notice of {short}")).to_be_visible()
    for french in ("Formule et tranches", "Avis à vérifier", "Voir l'avis", "Tranche par défaut"):
        expect(page.get_by_text(french)).to_have_count(0)
    tab.shot("admin-quotient-en")
    tab.axe("admin quotient in English")

    # A wrong line: said in English, nothing saved.
    page.get_by_label("Brackets", exact=True).fill("A 700\nwrong line here\nC")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Each line is a bracket name")
    # Refused: the notice is gone from the queue.
    row.get_by_role("button", name=f"Refuse the notice of {short}").click()
    expect(page.get_by_text("Refused; the notice is deleted.")).to_be_visible()
    expect(queue.locator("tbody tr").filter(has_text=short)).to_have_count(0)
    tab.axe("admin quotient in English, after a refusal")
