"""Sign-in with the company account in the browser (issue 19, part 6): the tenant admin sets up
the employer's directory on ``#/admin/sign-in``; the login page then offers "Se connecter avec
son compte entreprise" for that company; the employee signs in at the directory (panva's
oidc-provider, tests/oidc) and lands in the portal signed in; a refused sign-in comes back to
the login page with its reason. axe-core on each screen, in French and in English."""

import time
from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    Browse,
    Staff,
    english_staff_tab,
    staff_tab,
    switch_to_english,
)
from tests.e2e.conftest import Platform
from tests.e2e.test_oidc import CLIENT_ID, CLIENT_SECRET, NUMBER, PERSON, directory

pytestmark = pytest.mark.e2e

__all__ = ["directory"]  # the provider's fixture, shared with the end-to-end test


def test_admin_sets_up_the_directory_and_an_employee_signs_in_with_it(
    browse: Browse, staff: Callable[[str], Staff], platform: Platform, directory: str
) -> None:
    admin = staff("admin@demo.test")
    imported = admin.context.request.fetch(
        f"{platform.url}/api/users/import",
        method="POST",
        headers={"X-CSRF-Token": admin.csrf(), "Content-Type": "text/csv; charset=utf-8"},
        data=f"email;prénom;nom;matricule\noidc-browser@demo.test;Jeanne;Dupont;{NUMBER}\n",
    )
    assert imported.ok, imported.text()

    tab = staff_tab(browse, admin)
    page = tab.page
    tab.open("/admin/sign-in")
    expect(page.get_by_text("Non configurée")).to_be_visible()
    expect(page.get_by_text(f"{platform.url}/api/auth/oidc/callback")).to_be_visible()
    tab.axe("directory settings, empty")
    page.get_by_label("URL de l'émetteur").fill(directory)
    page.get_by_label("Identifiant client").fill(CLIENT_ID)
    page.get_by_label("Secret client").fill(CLIENT_SECRET)
    page.get_by_label("Revendication portant le matricule").fill("employee_number")
    page.get_by_label("Scopes supplémentaires").fill("employee")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Les salariés peuvent se connecter")).to_be_visible()
    expect(page.get_by_label("Secret client")).to_have_value("")  # never shown back
    tab.shot("directory-settings")
    tab.axe("directory settings, set")

    person = browse.tab()
    login = person.page
    person.open("/login")
    company = login.get_by_role("link", name="Se connecter avec son compte entreprise")
    expect(company).to_be_hidden()
    login.get_by_label("Entreprise").fill("demo")
    login.get_by_label("Adresse e-mail").focus()  # the company is known once typed
    expect(company).to_be_visible()
    person.shot("login-with-company-account")
    person.axe("login with the company account")
    company.click()

    # The directory's own pages (its development login and consent forms).
    login.wait_for_url(f"{directory}/**")
    login.locator("input[name=login]").fill(PERSON)
    login.locator("input[name=password]").fill("any-password-at-the-directory")
    login.locator("button[type=submit]").click()
    if login.url.startswith(directory):
        login.locator("button[type=submit]").click()  # the consent
    login.wait_for_url(f"{platform.url}/**")
    expect(login.get_by_role("button", name="Se déconnecter")).to_be_visible()
    person.settle()
    person.shot("signed-in-with-company-account")
    me = login.context.request.get(f"{platform.url}/api/auth/me")
    assert me.ok and me.json()["email"] == "oidc-browser@demo.test"

    # With an authenticator app enrolled, the directory leads to the login page's code step.
    csrf = next(c["value"] for c in login.context.cookies() if c["name"] == "csrf_token")
    api = login.context.request
    secret = api.post(f"{platform.url}/api/auth/mfa/setup", headers={"X-CSRF-Token": csrf}).json()[
        "secret"
    ]
    confirmed = api.post(
        f"{platform.url}/api/auth/mfa/setup/confirm",
        headers={"X-CSRF-Token": csrf},
        data={"code": pyotp.TOTP(secret).now()},
    )
    assert confirmed.ok, confirmed.text()
    again = browse.tab()
    second = again.page
    again.open("/login")
    second.get_by_label("Entreprise").fill("demo")
    second.get_by_label("Adresse e-mail").focus()
    second.get_by_role("link", name="Se connecter avec son compte entreprise").click()
    second.wait_for_url(f"{directory}/**")
    second.locator("input[name=login]").fill(PERSON)
    second.locator("input[name=password]").fill("any-password-at-the-directory")
    second.locator("button[type=submit]").click()
    if second.url.startswith(directory):
        second.locator("button[type=submit]").click()
    second.wait_for_url(f"{platform.url}/**")
    assert "#/login?mfa=1" in second.url
    expect(second.get_by_label("Code de vérification")).to_be_visible()
    again.axe("second step after the company account")
    # The next time step's code: the one used to confirm the enrolment cannot serve again.
    code = pyotp.TOTP(secret).at(time.time() + 30)
    second.get_by_label("Code de vérification").fill(code)
    second.get_by_role("button", name="Valider").click()
    expect(second.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_a_refused_sign_in_comes_back_to_the_login_page_with_its_reason(
    browse: Browse,
) -> None:
    tab = browse.tab()
    tab.open("/login?oidc_error=nonce&tenant=demo")
    page = tab.page
    expect(page.get_by_role("alert")).to_contain_text("la réponse d'une autre connexion")
    expect(page.get_by_label("Entreprise")).to_have_value("demo")
    tab.shot("company-sign-in-refused")
    tab.axe("refused company sign-in")


def test_the_company_sign_in_screens_in_english(
    browse: Browse, staff: Callable[[str], Staff], platform: Platform, directory: str
) -> None:
    admin = staff("admin@demo.test")
    # Set up by the test above; alone, this test sets it up itself (through the same route).
    current = admin.context.request.get(f"{platform.url}/api/auth/directory")
    if current.status == 404:
        admin.api(
            "PUT",
            "/api/auth/directory",
            {
                "issuer": directory,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "match_claim": "employee_number",
                "extra_scopes": "employee",
            },
        )

    tab = english_staff_tab(browse, admin, "/admin/sign-in")
    page = tab.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in with the company account")
    expect(page.get_by_text("Employees may sign in with their company account.")).to_be_visible()
    expect(page.get_by_text("Redirect URI to register at your provider:")).to_contain_text(
        f"{platform.url}/api/auth/oidc/callback"
    )
    expect(page.get_by_label("Issuer URL")).to_have_value(directory)
    expect(page.get_by_label("Client ID")).to_have_value(CLIENT_ID)
    expect(page.get_by_label("Client secret")).to_have_value("")
    expect(page.get_by_text("Leave empty to keep the stored secret")).to_be_visible()
    expect(page.get_by_label("Claim holding the employee number")).to_have_value("employee_number")
    expect(page.get_by_role("button", name="Turn off")).to_be_visible()
    for french in ("Les salariés peuvent se connecter", "URL de l'émetteur", "Fournisseur"):
        expect(page.get_by_text(french)).to_have_count(0)
    # A required field left empty: said in English, and nothing is sent.
    page.get_by_label("Issuer URL").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Please fill in the required fields")
    tab.shot("directory-settings-en")
    tab.axe("directory settings in English")

    person = browse.tab()
    login = person.page
    person.open("/login")
    switch_to_english(person)
    expect(login.get_by_role("heading", level=1)).to_have_text("Log in")
    login.get_by_label("Company (identifier)").fill("demo")
    login.get_by_label("Email address").focus()  # the company is known once typed
    company = login.get_by_role("link", name="Sign in with your company account")
    expect(company).to_be_visible()
    expect(login.get_by_text("You will sign in at your employer's directory")).to_be_visible()
    expect(login.get_by_text("Se connecter avec son compte entreprise")).to_have_count(0)
    person.shot("login-with-company-account-en")
    person.axe("login with the company account in English")

    # A refused sign-in comes back to the login page with its reason, in English too.
    person.open("/login?oidc_error=nonce&tenant=demo")
    expect(login.get_by_role("alert")).to_contain_text("an answer to another sign-in")
    expect(login.get_by_label("Company (identifier)")).to_have_value("demo")
    expect(login.get_by_text("la réponse d'une autre connexion")).to_have_count(0)
    person.shot("company-sign-in-refused-en")
    person.axe("refused company sign-in in English")
