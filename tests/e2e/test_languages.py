"""The texts a person or a DPO reads follow the request's ``Accept-Language`` (``fr`` by
default, ``en``), through the real gateway and services: the register of processing and its
CSV and page exports, the Art. 15 information of an export archive (the language of the
filing, recorded with the request), and an erasure report. The French comes from one
catalogue keyed by the declarations' English (``kit/locales/fr.json``, ``docs/privacy.md``,
"Languages")."""

import csv
import io
import json
import time
import zipfile
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_privacy import new_employee, wait_done

pytestmark = pytest.mark.e2e

FR = {"Accept-Language": "fr"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def register(client: httpx.Client, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The register once every service's worker has published its declarations."""
    deadline = time.monotonic() + 60
    while True:
        response = client.get("/api/privacy/register", headers=headers or {})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if not body["services_not_declared"]:
            return body
        assert time.monotonic() < deadline, "declarations never arrived"
        time.sleep(0.3)


def purpose(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in document["purposes"] if p["purpose"] == name)


def test_the_register_is_french_by_default_and_english_on_request(platform: Platform) -> None:
    dpo = platform.login("dpo@demo.test")
    default, french, english = register(dpo), register(dpo, FR), register(dpo, EN)
    for document in (default, french):
        assert document["language"] == "fr"
        orders = purpose(document, "order_processing")
        assert orders["title"] == "Commandes, paiement et livraison"
        assert orders["legal_basis"]["article"] == "art. 6(1)(b) RGPD"
        assert "partenaires chargés de la livraison" in orders["recipients"]
        assert document["controller"]["name"] == "L'exploitant de la plateforme d'avantages"
    assert default == french | {"generated_at": default["generated_at"]}
    assert english["language"] == "en"
    orders = purpose(english, "order_processing")
    assert orders["title"] == "Orders, payment and delivery"
    assert "fulfilment partners" in orders["recipients"]
    # Every service's declared categories, in French, keep their declared names beside them.
    for name in ("order_processing", "social_cultural_activities", "support_requests"):
        fr_data, en_data = (
            purpose(french, name)["categories_of_data"],
            purpose(english, name)["categories_of_data"],
        )
        # (each list in the order of its language's words)
        assert [sorted(e["codes"]) for e in fr_data] == [sorted(e["codes"]) for e in en_data]
        for entry in en_data:
            assert sorted(entry["categories"]) == sorted(entry["codes"])
    subsidies = dict(
        zip(
            *next(
                (e["codes"], e["categories"])
                for e in purpose(french, "social_cultural_activities")["categories_of_data"]
                if e["service"] == "subsidies"
            ),
            strict=True,
        )
    )
    assert subsidies["bank details (encrypted)"] == "coordonnées bancaires (chiffrées)"
    # A kept text filled from a service's setting arrives in French with its value.
    tables = {
        (t["service"], t["table"]): t
        for t in purpose(french, "order_processing")["retention"]["tables"]
    }
    assert tables["orders", "invoices"]["kept"].endswith(
        "ans après son émission (pièces comptables)"
    )


def test_the_register_exports_follow_the_language(platform: Platform) -> None:
    dpo = platform.login("dpo@demo.test")
    register(dpo)
    french = dpo.get("/api/privacy/register", params={"format": "csv"})
    english = dpo.get("/api/privacy/register", params={"format": "csv"}, headers=EN)
    assert french.status_code == english.status_code == 200
    fr_rows = list(csv.DictReader(io.StringIO(french.text)))
    en_rows = list(csv.DictReader(io.StringIO(english.text)))
    assert len(fr_rows) == len(en_rows) > 10
    # The header too: French columns in French, English ones in English.
    assert list(fr_rows[0])[:4] == ["finalité", "intitulé", "description", "base_légale"]
    assert list(en_rows[0])[:4] == ["purpose", "title", "description", "legal_basis"]
    fr_orders = {r["catégorie_de_données"] for r in fr_rows if r["finalité"] == "order_processing"}
    en_orders = {r["data_category"] for r in en_rows if r["purpose"] == "order_processing"}
    assert {"achat", "facture", "adresse de livraison"} <= fr_orders
    assert {"purchase", "invoice", "delivery address"} <= en_orders
    assert {r["base_légale"] for r in fr_rows} >= {"contrat", "intérêts légitimes"}
    # ?lang= (the front end's links, which the browser fetches itself) wins over the header.
    page = dpo.get("/api/privacy/register", params={"format": "html", "lang": "en"}, headers=FR)
    assert "<html lang='en'>" in page.text and "Legal basis" in page.text
    page = dpo.get("/api/privacy/register", params={"format": "html"})
    assert "<html lang='fr'>" in page.text and "Base légale" in page.text
    assert dpo.get("/api/privacy/register", params={"lang": "de"}).status_code == 422
    # The processor's record (Art. 30(2)) follows the same catalogue.
    record = dpo.get("/api/privacy/register", params={"role": "processor"}).json()
    assert record["categories_of_processing"][2]["title"] == "Commandes, paiement et livraison"
    assert "Hébergeur" in {s["name"] for s in record["subprocessors"]}


def archive_manifest(platform: Platform, headers: dict[str, str]) -> tuple[dict[str, Any], str]:
    """A fresh employee files an access request with ``headers``; the archive's manifest and
    README once it is made (downloaded without any Accept-Language: the filing's counts)."""
    email, _last, _id = new_employee(platform)
    person = platform.login(email)
    filed = person.post("/api/privacy/requests", json={"type": "access"}, headers=headers)
    assert filed.status_code == 202, filed.text
    done = wait_done(person, filed.json()["id"], timeout=60)
    assert done["status"] == "completed", done
    response = person.get(f"/api/privacy/requests/{done['id']}/archive")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as zipped:
        return json.loads(zipped.read("manifest.json")), zipped.read("README.txt").decode()


def test_the_archive_is_in_the_language_of_the_filing(platform: Platform) -> None:
    english, english_readme = archive_manifest(platform, EN)
    assert english["language"] == "en"
    assert english["complaint"].startswith("You can complain to the CNIL")
    assert english["purposes"]["site_communication"]["title"] == (
        "Running the site and communicating with its users"
    )
    assert "connection log" in english["purposes"]["site_communication"]["categories"]
    assert english["your_rights"]["erasure"].startswith("Art. 17: have your data erased")
    assert english["automated_decisions"] == "none"
    assert english_readme.startswith("Your data on the benefits platform")

    french, french_readme = archive_manifest(platform, FR)
    assert french["language"] == "fr"
    assert french["complaint"].startswith(
        "Vous pouvez introduire une réclamation auprès de la CNIL"
    )
    site = french["purposes"]["site_communication"]
    assert site["title"] == "Fonctionnement du site et communication avec ses utilisateurs"
    assert "journal de connexion" in site["categories"]
    assert site["legal_bases"] == english["purposes"]["site_communication"]["legal_bases"]
    kept = {(r["service"], r["table"]): r for r in french["retention"]}
    assert kept["identity", "users"]["kept"] == "tant que votre compte existe"
    assert kept["identity", "login_events"]["after_erasure"]["exemption"].startswith(
        "art. 17(3)(b) RGPD"
    )
    assert any(r.startswith("Hébergeur (") for r in french["recipients"])
    assert french["automated_decisions"] == "aucun"
    assert french_readme.startswith("Vos données sur la plateforme d'avantages")
    assert set(french) == set(english)  # the same keys in every language


def test_an_erasure_report_in_each_language(platform: Platform) -> None:
    email, _last, _id = new_employee(platform, first="Langue")
    person = platform.login(email)  # a login: the connection log, kept a year after erasure
    filed = person.post("/api/privacy/requests", json={"type": "erasure"})
    assert filed.status_code == 202, filed.text
    dpo = platform.login("dpo@demo.test")
    done = wait_done(dpo, filed.json()["id"])
    assert done["status"] == "completed", done

    def login_events(headers: dict[str, str]) -> dict[str, Any]:
        report = dpo.get(f"/api/privacy/requests/{done['id']}", headers=headers).json()["report"]
        return next(
            t for t in report["identity"]["erase"]["tables"] if t["table"] == "login_events"
        )

    french, english = login_events(FR), login_events(EN)
    assert french["kept_rows"] == english["kept_rows"] == 1
    assert french["legal_basis"] == english["legal_basis"] == "legal_obligation"
    assert french["reason"] == (
        "données de connexion conservées un an (décret n° 2021-1362, LCEN art. 6)"
    )
    assert french["basis_name"] == "obligation légale"
    assert french["exemption"] == "art. 17(3)(b) RGPD : respect d'une obligation légale"
    assert english["reason"] == "connection data kept one year (Décret n° 2021-1362, LCEN art. 6)"
    assert english["exemption"] == "Art. 17(3)(b) GDPR: compliance with a legal obligation"
    # The DPO's queue shows the same report, in the language asked for (French by default).
    for headers, start in ((EN, "connection data"), ({}, "données de connexion")):
        queue = dpo.get("/api/privacy/requests", params={"scope": "tenant"}, headers=headers)
        listed = next(r for r in queue.json() if r["id"] == done["id"])
        [row] = [
            t
            for t in listed["report"]["identity"]["erase"]["tables"]
            if t["table"] == "login_events"
        ]
        assert row["reason"].startswith(start)
