"""An employee in the browser: logs in, sets a profile, orders with a subsidy and pays, gives
and withdraws a consent, exports their data and downloads it, erases it and can no longer
log in; on a phone, in English, books an activity with a SEPA mandate, opens a ticket,
corrects their name and logs out."""

import io
import json
import re
import zipfile
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browse, Staff, log_in, new_employee

pytestmark = pytest.mark.e2e

IBAN = "FR7630006000011234567890189"


def test_employee_orders_with_a_subsidy_exports_withdraws_a_consent_and_erases(
    browse: Browse, staff: Callable[[str], Staff]
) -> None:
    person = new_employee(staff("admin@demo.test"))
    email = person["email"]
    tab = browse.tab()
    page = tab.page
    log_in(tab, email)
    assert page.url.endswith("#/offers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Offres de votre CSE")
    tab.shot("offers-before-profile")

    # The beneficiary profile, then what it entitles to.
    page.get_by_role("navigation").get_by_role("link", name="Mes aides").click()
    tab.settle()
    assert tab.title_has_focus(), "the page title takes the focus on a route change"
    page.get_by_label("Nombre d'enfants à charge").fill("2")
    page.get_by_role("button", name="Enregistrer mon profil").click()
    expect(page.get_by_text("Profil enregistré")).to_be_visible()
    eligibility = page.get_by_role("table", name="Aides auxquelles vous avez droit")
    expect(eligibility).to_contain_text("Cinéma en famille (2 enfants et plus)")
    tab.shot("profile-and-eligibility")
    tab.axe("profile")

    # Two cinema tickets: 3 € of subsidy each.
    page.get_by_role("navigation").get_by_role("link", name="Offres").click()
    tab.settle()
    cinema = page.locator("li.offer", has_text="Place de cinéma")
    expect(cinema).to_contain_text("3,00")
    cinema.get_by_label("Quantité").fill("2")
    cinema.get_by_role("button", name="Ajouter au panier").click()
    basket = page.locator(".shop form")
    expect(basket).to_contain_text("2 \N{MULTIPLICATION SIGN} Place de cinéma")
    expect(basket).to_contain_text("6,00")
    tab.shot("basket-with-estimate")
    tab.axe("basket")
    page.get_by_role("button", name="Commander").click()
    placed = page.locator("section.success")
    expect(placed.locator("[data-field=total]")).to_contain_text("15,00")
    expect(placed.locator("[data-field=subsidy]")).to_contain_text("6,00")
    expect(placed.locator("[data-field=to-pay]")).to_contain_text("9,00")
    tab.shot("order-placed-with-subsidy")
    placed.get_by_role("button", name=re.compile("^Payer")).click()
    page.get_by_role("button", name="Confirmer le paiement").click()
    expect(page.get_by_text("Paiement reçu")).to_be_visible()
    page.wait_for_url(re.compile("#/orders$"))
    tab.settle()
    order = page.locator("li.card[data-order]").first
    expect(order).to_contain_text(re.compile("Payée|Livrée"))
    expect(order.locator("[data-field=subsidy]")).to_contain_text("6,00")
    tab.shot("orders-paid")
    tab.axe("orders")

    # A consent given, then withdrawn.
    tab.open("/privacy/consents")
    switch = page.get_by_role("switch", name="Lettre d'information de votre CSE")
    switch.check()
    expect(page.get_by_text("Consentement donné.")).to_be_visible()
    switch.uncheck()
    expect(page.get_by_text("Consentement retiré.")).to_be_visible()
    expect(switch).not_to_be_checked()
    history = page.get_by_role("table", name="Historique de mes choix")
    expect(history.locator("tbody tr")).to_have_count(2)
    tab.shot("consent-withdrawn")
    tab.axe("consents")
    consents = page.evaluate("() => fetch('/api/privacy/consents').then(r => r.json())")
    assert {c["purpose"]: c["granted"] for c in consents}["newsletter"] is False

    # The export: progress per service, then the archive.
    tab.open("/privacy/export")
    page.get_by_role("button", name="Demander mon archive").click()
    expect(page.locator("[data-request] progress")).to_be_visible()
    tab.shot("export-in-progress")
    download_link = page.get_by_role("link", name="Télécharger l'archive (ZIP)")
    expect(download_link).to_be_visible(timeout=30_000)
    expect(page.locator("[data-request]")).to_contain_text("Terminée")
    tab.shot("export-ready")
    tab.axe("export")
    # The list of earlier archives is drawn once the request is final: clicking while it is
    # fetched and drawn could cancel the download (seen once under load).
    page.wait_for_load_state("networkidle")
    with page.expect_download() as download:
        download_link.click()
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as archive:
        names = set(archive.namelist())
        identity = json.loads(archive.read("identity.json"))
    assert {"identity.json", "orders.json", "manifest.json"} <= names
    assert identity["users"][0]["email"] == email

    # Erasure: the plain-language screen, a confirmation, then logged out for good.
    tab.open("/privacy/erasure")
    kept = page.get_by_role("table", name="Données conservées après l'effacement")
    expect(kept).to_contain_text("5 ans après l'achat")
    expect(kept).to_contain_text("13 mois après le dernier prélèvement")
    expect(kept).to_contain_text("1 an après chaque connexion")
    tab.shot("erasure-screen")
    tab.axe("erasure")
    page.get_by_role("button", name="Effacer mon compte et mes données").click()
    expect(page.get_by_role("alert")).to_contain_text("Cochez la case")
    page.get_by_label("J'ai compris").check()
    page.get_by_role("button", name="Effacer mon compte et mes données").click()
    page.wait_for_url(re.compile("#/erased$"), timeout=30_000)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Vos données sont en cours d'effacement"
    )
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    tab.shot("erased")
    tab.axe("erased")

    tab.open("/login")
    page.get_by_label("Entreprise").fill("demo")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill("E2e-Demo-Password-2026!")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Identifiants incorrects")
    tab.shot("login-refused-after-erasure")


def test_on_a_phone_in_english_an_employee_books_with_a_sepa_mandate_and_asks_support(
    browse: Browse, staff: Callable[[str], Staff]
) -> None:
    person = new_employee(staff("admin@demo.test"), first="Wrongname")
    tab = browse.tab(phone=True)
    page = tab.page
    log_in(tab, person["email"])
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your works council's offers")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav).to_be_hidden()
    tab.shot("phone-offers")
    page.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    tab.shot("phone-menu-open")
    tab.axe("phone menu")
    nav.get_by_role("link", name="Activities").click()
    tab.settle()

    # A SEPA mandate: the IBAN leaves the page once signed, and comes back masked.
    page.get_by_label("Account holder").fill("Wrongname Test")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label("BIC").fill("AGRIFRPP")
    page.get_by_role("button", name="Sign the mandate").click()
    expect(page.get_by_text("Mandate signed for account")).to_be_visible()
    expect(page.get_by_label("IBAN")).to_have_value("")
    pottery = page.locator("option", has_text="Atelier poterie").get_attribute("value")
    page.get_by_label("Activity", exact=True).select_option(value=pottery)
    page.get_by_role("button", name="Book", exact=True).click()
    booked = page.locator("[data-booking]")
    expect(booked).to_contain_text("Booking confirmed: Atelier poterie")
    expect(booked).to_contain_text("€20.00")  # 50 % of 40 €
    iban = booked.locator("[data-field=iban]")
    expect(iban).to_contain_text("****")
    assert IBAN not in page.content() and "0112 3456 7890" not in page.content()
    tab.shot("phone-booked-iban-masked")
    tab.axe("activities")

    # A support ticket, followed in its own page.
    page.get_by_role("button", name="Menu").click()
    nav.get_by_role("link", name="Support").click()
    tab.settle()
    page.get_by_label("Subject").fill("My cinema ticket did not arrive")
    page.get_by_label("Your message").fill("Hello, I ordered a ticket yesterday.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Request: My cinema ticket did not arrive"
    )
    page.get_by_label("Your answer").fill("It was for Saturday.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".thread li")).to_have_count(2)
    tab.shot("phone-ticket")
    tab.axe("ticket")

    # A rectification of the first name.
    tab.open("/privacy/rectify")
    page.get_by_label("First name").fill("Rightname")
    page.get_by_role("button", name="Send the correction").click()
    expect(page.get_by_text("Corrected:")).to_contain_text("first name", timeout=30_000)
    me = page.evaluate("() => fetch('/api/auth/me').then(r => r.json())")
    assert me["first_name"] == "Rightname"
    tab.shot("phone-rectified")
    tab.axe("rectify")

    # Logging out ends the session on the server.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    assert page.url.endswith("#/login")
    status = page.evaluate("() => fetch('/api/auth/me').then(r => r.status)")
    assert status == 401
    tab.shot("phone-logged-out")
