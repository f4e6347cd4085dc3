"""A tenant admin in the browser: imports employees from a CSV with one bad line and reads the
per-line report (an imported employee then sets a password from the invitation link); creates
one account, adds an offer and a subsidy rule, sees anonymised statistics as bars, sends a
newsletter."""

import re
import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browse, Staff, log_in, mailed, new_employee, staff_tab
from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Another-Good-Passw0rd!"


def test_admin_imports_users_from_a_csv_with_one_bad_line(
    browse: Browse, staff: Callable[[str], Staff], platform: Platform
) -> None:
    admin = staff("admin@demo.test")
    tab = staff_tab(browse, admin)
    page = tab.page
    tab.open("/admin/users")
    tag = secrets.token_hex(3)
    first, second = f"csv-{tag}-a@demo.test", f"csv-{tag}-b@demo.test"
    lines = ["email;prénom;nom", f"{first};Anne;Import", "not-an-address;Bad;Line"]
    csv = "\n".join([*lines, f"{second};Basile;Import", ""])
    page.get_by_label("Fichier CSV", exact=True).set_input_files(
        {"name": "salaries.csv", "mimeType": "text/csv", "buffer": csv.encode("utf-8")}
    )
    expect(page.get_by_label("En cas d'erreur sur une ligne")).to_have_value("per_line")
    page.get_by_role("button", name="Importer", exact=True).click()
    report = page.get_by_role("region", name="Rapport d'import")
    expect(report.locator("[data-count=created]")).to_have_text("2")
    errors = report.get_by_role("table", name="Lignes en erreur (1)")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody tr")).to_contain_text("3")
    expect(errors.locator("tbody tr")).to_contain_text("invalid email address")
    expect(report).not_to_contain_text("not-an-address")  # the report names lines, not people
    expect(report.get_by_role("heading", name="Rapport d'import")).to_be_focused()
    tab.shot("import-report")
    tab.axe("import report")
    page.get_by_label("Rechercher").fill(f"csv-{tag}")
    users = page.get_by_role("table", name="Comptes")
    expect(users.locator("tbody tr")).to_have_count(2)
    tab.shot("imported-users-listed")

    # The invitation: a link to /set-password#token=..., which the page takes out of the URL.
    token = mailed(platform, first, r"/set-password#token=([A-Za-z0-9_-]+)")
    invited = browse.tab()
    invited.page.goto(f"{platform.url}/set-password#token={token}")
    invited.settle()
    assert token not in invited.page.url
    expect(invited.page.get_by_role("heading", level=1)).to_have_text("Créer votre mot de passe")
    invited.page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    invited.page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    invited.page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(invited.page.get_by_text("Votre mot de passe est enregistré")).to_be_visible()
    invited.shot("invitation-password-set")
    log_in(invited, first, password=NEW_PASSWORD)
    assert invited.page.url.endswith("#/offers")


def test_admin_manages_offers_rules_sees_statistics_and_sends_a_newsletter(
    browse: Browse, staff: Callable[[str], Staff], platform: Platform
) -> None:
    admin = staff("admin@demo.test")
    # Five people with grants for tickets: a group large enough to be shown (k = 5).
    for _ in range(5):
        person = new_employee(admin)
        client = platform.login(person["email"])
        assert client.put("/api/subsidies/profile", json={"children_count": 2}).is_success
        ids = {o["title"]: o["id"] for o in client.get("/api/offers").json()}
        order = client.post(
            "/api/orders", json={"items": [{"offer_id": ids["Place de cinéma"], "quantity": 1}]}
        )
        assert order.status_code == 201, order.text
        client.close()
    tab = staff_tab(browse, admin)
    page = tab.page

    tab.open("/admin/users")
    single = f"one-{secrets.token_hex(3)}@demo.test"
    create = page.get_by_role("region", name="Créer un compte")
    create.get_by_label("Adresse e-mail").fill(single)
    create.get_by_label("Prénom").fill("Olga")
    create.get_by_label("Nom", exact=True).fill("Seule")
    matricule = f"M-{secrets.token_hex(3)}"
    create.get_by_label("Matricule (facultatif)").fill(matricule)
    create.get_by_label("Rôle").select_option("employee")
    create.get_by_role("button", name="Créer le compte").click()
    expect(create.get_by_text("Compte créé.")).to_be_visible()
    expect(create.get_by_label("Matricule (facultatif)")).to_have_value("")
    made = next(
        u
        for u in platform.login("admin@demo.test").get("/api/users", params={"limit": 50}).json()
        if u["email"] == single
    )
    assert made["employee_number"] == matricule  # what a directory sign-in is matched by
    page.get_by_label("Rechercher").fill(single)
    expect(page.get_by_role("table", name="Comptes").locator("tbody tr")).to_contain_text("Olga")
    tab.shot("user-created")

    tab.open("/admin/offers")
    title = f"Concert {secrets.token_hex(2)}"
    page.get_by_label("Titre").fill(title)
    page.get_by_label("Type").select_option("ticket")
    page.get_by_label("Prix (€)").fill("24,50")
    page.get_by_label("Stock").fill("40")
    page.get_by_role("button", name="Créer l'offre").click()
    expect(page.get_by_text("Offre créée.")).to_be_visible()
    offers = page.get_by_role("table", name="Offres en cours")
    expect(offers).to_contain_text(title)
    expect(offers.locator("tr", has_text=title)).to_contain_text("24,50")
    tab.shot("offers")
    tab.axe("offers")

    tab.open("/admin/rules")
    rule = f"Sport {secrets.token_hex(2)}"
    page.get_by_label("Nom", exact=True).fill(rule)
    page.get_by_label("S'applique à").select_option("voucher")
    page.get_by_label("Type d'aide").select_option("percent")
    page.get_by_label("Montant ou pourcentage").fill("20")
    page.get_by_label("Plafond annuel par personne (€)").fill("100")
    page.get_by_role("button", name="Créer la règle").click()
    expect(page.get_by_text("Règle créée.")).to_be_visible()
    expect(page.get_by_role("table", name="Règles d'aide")).to_contain_text(rule)
    expect(page.get_by_text("Déjà accordé")).to_be_visible()
    tab.shot("rules-and-budget")
    tab.axe("rules")

    tab.open("/admin/stats")
    people = page.locator("figure", has_text="Bénéficiaires")
    expect(people.locator(".bars li")).not_to_have_count(0)
    expect(people).to_contain_text("Billet")
    table = page.get_by_role("table", name=re.compile("^Détail"))
    expect(table.locator("tbody tr", has_text="Billet")).to_be_visible()
    tab.shot("statistics-by-kind")
    tab.axe("statistics")
    page.get_by_label("Regrouper par").select_option("children")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("figure", has_text="Bénéficiaires")).to_contain_text("enfant")
    tab.shot("statistics-by-children")

    tab.open("/admin/newsletters")
    page.get_by_label("Objet").fill("Les activités de décembre")
    page.get_by_label("Texte").fill("Bonjour,\nvoici le programme du mois.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text(re.compile(r"Lettre envoyée à \d+ personne"))).to_be_visible()
    tab.shot("newsletter-sent")
    tab.axe("newsletters")
