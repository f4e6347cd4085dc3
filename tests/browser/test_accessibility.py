"""axe-core on every page of the front end, for every role, in French and English, on a desktop
and a phone: no serious or critical violation. Keyboard use: the skip link, the focus on the
page title after a route change, the menu on a phone. A staff member's first login shows the
enrolment (QR code, key) and the recovery codes, which are checked too."""

import re
import secrets
from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browse, Staff, Tab, log_in, staff_tab
from tests.e2e.conftest import PASSWORD, Platform

pytestmark = pytest.mark.e2e

ANONYMOUS = [
    "/login",
    "/forgot-password",
    "/dpo-contact",
    "/reset-password",
    "/set-password",
    "/unsubscribe",
    "/erased",
]
EMPLOYEE = [
    "/offers",
    "/orders",
    "/profile",
    "/activities",
    "/tickets",
    "/privacy",
    "/privacy/export",
    "/privacy/erasure",
    "/privacy/rectify",
    "/privacy/limit",
    "/privacy/consents",
    "/privacy/access-log",
    "/privacy/requests",
]
ADMIN = [
    "/admin/users",
    "/admin/offers",
    "/admin/rules",
    "/admin/quotient",
    "/admin/campaigns",
    "/admin/stats",
    "/admin/accounting",
    "/admin/newsletters",
    "/admin/sign-in",
]
DPO = ["/dpo/requests", "/dpo/breaches", "/dpo/register", "/dpo/processors", "/privacy"]


def check_all(tab: Tab, routes: list[str], label: str) -> None:
    for route in routes:
        tab.open(route)
        tab.shot(f"{label}{route.replace('/', '-')}")
        tab.axe(f"{label} {route}")


def test_axe_reports_no_serious_or_critical_violation_on_any_page(
    browse: Browse, staff: Callable[[str], Staff], platform: Platform
) -> None:
    # Alice has an order, a ticket and a line in her access log (the admin listed users).
    alice = platform.login("alice@demo.test")
    offers = {o["title"]: o["id"] for o in alice.get("/api/offers").json()}
    alice.post(
        "/api/orders", json={"items": [{"offer_id": offers["Place de cinéma"], "quantity": 1}]}
    )
    alice.post("/api/tickets", json={"subject": "Question", "message": "When is the next trip?"})
    alice.close()
    admin = staff("admin@demo.test")
    admin.api("GET", "/api/users")

    anonymous = browse.tab()
    check_all(anonymous, ANONYMOUS, "anonymous")

    employee = browse.tab()
    log_in(employee, "alice@demo.test")
    check_all(employee, EMPLOYEE, "employee")
    employee.open("/tickets")
    tickets = employee.page.get_by_role("table", name="Demandes d'assistance")
    tickets.get_by_role("link").first.click()
    employee.settle()
    employee.shot("employee-ticket")
    employee.axe("ticket")

    check_all(staff_tab(browse, admin), ADMIN, "admin")
    check_all(staff_tab(browse, staff("dpo@demo.test")), DPO, "dpo")

    # English on a phone: the longest texts, the narrowest screen.
    phone = browse.tab(phone=True)
    log_in(phone, "bob@demo.test")
    phone.page.get_by_role("button", name="English").click()
    expect(phone.page.get_by_role("heading", level=1)).to_have_text("Your works council's offers")
    check_all(phone, EMPLOYEE, "phone-en")
    phone.page.get_by_role("button", name="Menu").click()
    phone.shot("phone-en-menu")
    phone.axe("phone menu")


def test_keyboard_skip_link_focus_on_route_change_and_phone_menu(browse: Browse) -> None:
    tab = browse.tab()
    page = tab.page
    tab.open("/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    tab.shot("skip-link-visible")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    assert page.url.endswith("#/login"), "the skip link does not change the route"

    page.get_by_role("link", name="Contacter le délégué à la protection des données").click()
    tab.settle()
    expect(page.locator("#page-title")).to_be_focused()
    expect(page).to_have_title(re.compile("^Délégué à la protection des données"))
    expect(page.get_by_role("heading", name="Votre contact")).to_be_visible()

    phone = browse.tab(phone=True)
    log_in(phone, "bob@demo.test")
    menu = phone.page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.focus()
    phone.page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    phone.page.keyboard.press("Tab")
    expect(phone.page.get_by_role("link", name="Offres")).to_be_focused()
    phone.page.keyboard.press("Tab")
    phone.page.keyboard.press("Enter")
    phone.settle()
    expect(phone.page.locator("#page-title")).to_have_text("Mes commandes")
    expect(phone.page.locator("#page-title")).to_be_focused()


def test_a_staff_members_first_login_shows_the_enrolment_then_the_recovery_codes(
    browse: Browse, staff: Callable[[str], Staff]
) -> None:
    email = f"agent-{secrets.token_hex(3)}@demo.test"
    staff("admin@demo.test").api(
        "POST",
        "/api/users",
        {
            "email": email,
            "first_name": "Nina",
            "last_name": "Agent",
            "roles": ["support_agent"],
            "password": PASSWORD,
        },
    )
    tab = browse.tab()
    page = tab.page
    tab.open("/login")
    page.get_by_label("Entreprise").fill("demo")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(
        page.get_by_role("heading", name="Activer la vérification en deux étapes")
    ).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Code QR"))).to_be_visible()
    code_input = page.get_by_label("Code de vérification")
    expect(code_input).to_be_focused()
    tab.shot("enrolment")
    tab.axe("enrolment")
    secret = page.locator("code.secret").inner_text().strip()
    code_input.fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de secours")
    expect(page.locator("ul.codes li")).to_have_count(10)
    recovery = page.locator("ul.codes li").first.inner_text().strip()
    tab.shot("recovery-codes")
    tab.axe("recovery codes")
    page.get_by_role("button", name="J'ai noté mes codes, continuer").click()
    tab.settle()
    expect(page.locator("#page-title")).to_have_text("Assistance")
    tab.shot("agent-tickets")
    tab.axe("agent tickets")
    # The phone lost: a recovery code (29 characters, letters too) is typed in the code field.
    again = browse.tab()
    again.open("/login")
    again.page.get_by_label("Entreprise").fill("demo")
    again.page.get_by_label("Adresse e-mail").fill(email)
    again.page.get_by_label("Mot de passe").fill(PASSWORD)
    again.page.get_by_role("button", name="Se connecter").click()
    again.page.get_by_label("Code de vérification").fill(recovery)
    expect(again.page.get_by_label("Code de vérification")).to_have_value(recovery)
    again.page.get_by_role("button", name="Valider").click()
    again.settle()
    expect(again.page.locator("#page-title")).to_have_text("Assistance")
