"""The DPO in the browser: sees a person's request in the queue with its due date, files a
request received by email and enters the one-time code the person gives back, records a
breach and the notification to the authority with the 72-hour countdown, reads and exports
the register of processing, adds and removes a processor."""

import re
import secrets
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browse, Staff, mailed, new_employee, staff_tab
from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e


def declared(dpo: Staff, timeout: float = 60) -> None:
    """Every service's worker has published its declarations (the register's categories)."""
    deadline = time.monotonic() + timeout
    while dpo.api("GET", "/api/privacy/register")["services_not_declared"]:
        assert time.monotonic() < deadline, "declarations never arrived"
        time.sleep(0.3)


def test_dpo_sees_the_request_and_files_a_breach(
    browse: Browse, staff: Callable[[str], Staff], platform: Platform
) -> None:
    person = new_employee(staff("admin@demo.test"))
    client = platform.login(person["email"])
    filed = client.post("/api/privacy/requests", json={"type": "restriction"})
    client.close()
    assert filed.status_code == 202, filed.text
    request_id = filed.json()["id"]
    dpo = staff("dpo@demo.test")
    tab = staff_tab(browse, dpo)
    page = tab.page

    tab.open("/dpo/requests")
    page.get_by_label("Afficher").select_option("all")
    queue = page.get_by_role("table", name="Demandes")
    row = queue.locator("tr", has_text=request_id[:8])
    expect(row).to_contain_text("Limitation")
    expect(row).to_contain_text("Site")  # filed by the person
    expect(row).to_contain_text("Terminée")
    tab.shot("queue")
    tab.axe("queue")
    row.get_by_role("button", name=f"Détails de la demande {request_id[:8]}").click()
    detail = page.get_by_role("heading", name=re.compile(f"Demande {request_id[:8]}"))
    expect(detail).to_be_focused()
    expect(page.get_by_text(re.compile(r"Services ayant répondu : \d+ sur \d+"))).to_be_visible()
    tab.shot("request-detail")
    tab.axe("request detail")

    # A breach: the services, then the categories they declared; the countdown from awareness.
    declared(dpo)
    tab.open("/dpo/breaches")
    page.get_by_label("Ce qui s'est passé").fill(
        "Un export de l'assistance a été envoyé par erreur au mauvais partenaire."
    )
    page.get_by_role("group", name="Services concernés").get_by_label("Assistance").check()
    page.get_by_label("échanges avec l'assistance").check()
    page.get_by_role("button", name="Combien de personnes sont concernées ?").click()
    expect(page.get_by_text(re.compile(r"Ce périmètre concerne \d+ personne"))).to_be_visible()
    page.get_by_label("Conséquences probables").fill("Des messages ont pu être lus par un tiers.")
    page.get_by_label("Mesures prises ou envisagées").fill(
        "Le partenaire a supprimé le fichier ; les exports demandent deux personnes."
    )
    tab.shot("breach-form")
    tab.axe("breach form")
    page.get_by_role("button", name="Enregistrer la violation").click()
    # The form's status line (the list's "Aucune violation enregistrée." may still show while
    # it reloads: a plain text match, case-insensitive, found both and failed strict mode).
    expect(page.get_by_role("status").filter(has_text="Violation enregistrée")).to_be_visible()
    card = page.locator("[data-breach]").first
    countdown = card.locator("[data-countdown]")
    expect(countdown).to_contain_text(re.compile(r"il reste\s+7[01] h \d\d min"))
    tab.shot("breach-recorded-countdown")
    card.get_by_label("Ce qui a été notifié à la CNIL").fill(
        "Notification initiale : nature, catégories, mesures."
    )
    card.get_by_role("button", name="Enregistrer la notification à la CNIL").click()
    card = page.locator("[data-breach]").first
    expect(card.locator("[data-countdown]")).to_contain_text("CNIL notifiée dans les délais")
    expect(card).to_contain_text("Notification initiale")
    tab.shot("breach-notified")
    tab.axe("breaches")


def test_dpo_files_a_request_received_by_email_with_the_one_time_code(
    browse: Browse, staff: Callable[[str], Staff], platform: Platform
) -> None:
    person = new_employee(staff("admin@demo.test"))
    tab = staff_tab(browse, staff("dpo@demo.test"))
    page = tab.page
    tab.open("/dpo/requests")
    form = page.locator("form", has=page.get_by_label("Adresse e-mail du compte"))
    form.get_by_label("Adresse e-mail du compte").fill(person["email"])
    form.get_by_label("Type de demande").select_option("access")
    form.get_by_label("Reçue par").select_option("email")
    form.get_by_role("button", name="Enregistrer la demande").click()
    expect(page.get_by_text(re.compile("Un code a été envoyé"))).to_be_visible()
    expect(form.get_by_label("Adresse e-mail du compte")).to_have_value("")
    tab.shot("on-behalf-awaiting-code")
    tab.axe("on behalf")
    page.get_by_label("Afficher").select_option("open")
    waiting = page.get_by_role("table", name="Demandes").locator(
        "tr", has_text="En attente du code"
    )
    expect(waiting.first).to_contain_text(re.compile(r"J-(29|30|31)"))
    code = mailed(platform, person["email"], r"\b(\d{8})\b")
    page.get_by_label("Code reçu par la personne").fill(code)
    page.get_by_role("button", name="Vérifier le code").click()
    expect(page.get_by_text("Identité vérifiée")).to_be_visible()
    tab.shot("on-behalf-verified")


def test_dpo_reads_and_exports_the_register_and_keeps_the_processors(
    browse: Browse, staff: Callable[[str], Staff]
) -> None:
    dpo = staff("dpo@demo.test")
    declared(dpo)
    tab = staff_tab(browse, dpo)
    page = tab.page
    tab.open("/dpo/register")
    expect(page.get_by_role("heading", name="Responsable du traitement")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Commandes")).first).to_contain_text(
        "Base légale"
    )
    tab.shot("register")
    tab.axe("register")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    text = download.value.path().read_text(encoding="utf-8")
    # In the page's language (French), the header too.
    assert text.splitlines()[0].startswith("finalité,intitulé,description,base_légale")

    tab.open("/dpo/processors")
    name = f"Archivage {secrets.token_hex(2)}"
    page.get_by_label("Nom").fill(name)
    page.get_by_label("Rôle").fill("archivage des sauvegardes")
    page.get_by_label("Catégories de données").fill("compte, commandes")
    page.get_by_label("Pays de traitement").fill("DE")
    page.get_by_role("button", name="Ajouter").click()
    expect(page.get_by_text("Sous-traitant ajouté.")).to_be_visible()
    processors = page.get_by_role("table", name="Sous-traitants")
    row = processors.locator("tr", has_text=name)
    expect(row).to_contain_text("UE/EEE")
    tab.shot("processors")
    tab.axe("processors")
    row.get_by_role("button", name=f"Retirer {name}").click()
    expect(page.get_by_text("Sous-traitant retiré.")).to_be_visible()
    expect(processors.locator("tr", has_text=name)).to_have_count(0)
