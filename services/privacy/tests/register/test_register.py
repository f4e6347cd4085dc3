"""The register of processing (PR7): built from what the services declared (published by their
workers at start), the purposes' metadata and the processors; JSON, CSV and HTML."""

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from kit.db import Database
from kit.events import Envelope
from kit.privacy.declarations import DECLARATIONS_KEY, DECLARATIONS_PUBLISHED, PURPOSES, Purpose
from kit.worker import publish_declarations
from privacy import handlers
from privacy.config import Settings
from privacy.context import Context
from privacy.models import ServiceDeclaration, events, subject_data
from privacy.processors import service as processors
from privacy.register import render, repository
from privacy.register import service as register
from services.privacy.tests.factories import NOW, make_principal, make_processor

TENANT = "t-1"
DPO = make_principal(TENANT, "dpo", user_id="dpo-1", tenant="demo")


def table(
    service: str,
    name: str,
    fields: list[tuple[str, Purpose, str]],
    *,
    recipients: tuple[str, ...] = (),
    retention: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A table as ``SubjectData.inventory()`` describes it."""
    return {
        "service": service,
        "table": name,
        "source": "you",
        "recipients": list(recipients),
        "kept": "while your account exists",
        "retention": retention,
        "fields": [
            {"name": category, "category": category, "purpose": purpose.value, "basis": basis}
            for category, purpose, basis in fields
        ],
    }


#: Stand-ins for the other services' declarations (privacy's own are the real ones).
OTHERS = {
    "identity": [
        table(
            "identity",
            "users",
            [("identity", Purpose.SOCIAL_ACTIVITIES, "contract")],
        )
    ],
    "orders": [
        table(
            "orders",
            "orders",
            [
                ("purchase", Purpose.ORDER_PROCESSING, "contract"),
                ("billing address", Purpose.ORDER_PROCESSING, "contract"),
            ],
            retention={
                "years": 5,
                "counted_from": "created_at",
                "legal_basis": "legal_claims",
                "article": "Art. 6(1)(f) and Art. 17(3)(e) GDPR",
                "exemption": "Art. 17(3)(e) GDPR: establishment, exercise or defence of legal "
                "claims",
                "reason": "L110-4",
            },
        ),
        table(
            "orders",
            "disclosures",
            [("recipients of your data", Purpose.ORDER_PROCESSING, "contract")],
            recipients=("fulfilment partners",),
        ),
        table("orders", "invoices", [("invoice", Purpose.ORDER_PROCESSING, "legal_obligation")]),
    ],
    "subsidies": [
        table(
            "subsidies",
            "profiles",
            [("family situation (number of children)", Purpose.SOCIAL_ACTIVITIES, "contract")],
        )
    ],
    "support": [
        table(
            "support",
            "tickets",
            [("=support request", Purpose.SUPPORT_REQUESTS, "contract")],
        ),
        table(
            "support",
            "partner_requests",
            [("business contact", Purpose.PARTNER_LISTING, "legitimate_interests")],
        ),
    ],
}


async def declare_all(database: Database) -> None:
    async with database.transaction() as db:
        await repository.store_declarations(
            db, service="privacy", inventory=subject_data.inventory(), published_at=NOW
        )
        for service, inventory in OTHERS.items():
            await repository.store_declarations(
                db, service=service, inventory=inventory, published_at=NOW
            )


async def document(database: Database, settings: Settings) -> dict[str, Any]:
    async with database.transaction() as db:
        return await register.register(db, settings, NOW, tenant_id=TENANT)


# -- the declarations arrive -------------------------------------------------------------------


async def test_a_workers_declarations_reach_the_register(database: Database, ctx: Context) -> None:
    """What ``run_worker`` writes at start, through the outbox, is what privacy stores."""
    async with database.transaction() as db:
        await publish_declarations(db, events, subject_data)
    async with database.transaction() as db:
        key, body = (
            await db.execute(
                select(events.outbox.c.routing_key, events.outbox.c.body).where(
                    events.outbox.c.type == DECLARATIONS_PUBLISHED
                )
            )
        ).one()
        assert key == DECLARATIONS_KEY == "declarations.published.privacy"
        envelope = Envelope.model_validate_json(body)
        assert envelope.source == "privacy" and envelope.subject is None
        await handlers.on_declarations(ctx, db, envelope)
    async with database.transaction() as db:
        stored = await db.get(ServiceDeclaration, "privacy")
        assert stored is not None
        assert stored.inventory == envelope.payload["inventory"]
        assert {t["table"] for t in stored.inventory} >= {"requests", "breach_affected"}
        assert stored.published_at == envelope.occurred_at
    assert "declarations.published.privacy" in (handlers.subscription(ctx).bindings or [])


async def test_a_service_declares_itself_only_and_the_latest_wins(
    database: Database, ctx: Context
) -> None:
    def envelope(source: str, service: str, tables: list[str], at: datetime) -> Envelope:
        inventory = [table(service, name, []) for name in tables]
        return Envelope(
            type=DECLARATIONS_PUBLISHED,
            source=source,
            occurred_at=at,
            payload={"service": service, "inventory": inventory},
        )

    async with database.transaction() as db:
        await handlers.on_declarations(ctx, db, envelope("support", "orders", ["forged"], NOW))
        await handlers.on_declarations(ctx, db, envelope("orders", "orders", ["new"], NOW))
        await handlers.on_declarations(  # an older start's event, arriving late
            ctx, db, envelope("orders", "orders", ["old"], NOW - timedelta(hours=1))
        )
    async with database.transaction() as db:
        stored = await db.get(ServiceDeclaration, "orders")
        assert stored is not None and [t["table"] for t in stored.inventory] == ["new"]
        await handlers.on_declarations(
            ctx, db, envelope("orders", "orders", ["newer"], NOW + timedelta(hours=1))
        )
    async with database.transaction() as db:
        stored = await db.get(ServiceDeclaration, "orders")
        assert stored is not None and [t["table"] for t in stored.inventory] == ["newer"]


# -- the register --------------------------------------------------------------------------------


async def test_the_register_has_every_purpose_with_every_field(
    database: Database, settings: Settings
) -> None:
    await declare_all(database)
    doc = await document(database, settings)
    assert doc["controller"]["name"] and doc["controller"]["acting_for"]
    assert doc["dpo"] == {
        "name": settings.dpo_name,
        "email": settings.dpo_email,
        "address": settings.dpo_address,
    }
    assert doc["services_not_declared"] == []
    assert [p["purpose"] for p in doc["purposes"]] == [p.value for p in Purpose]
    for purpose in doc["purposes"]:
        for key, value in purpose.items():
            assert value, (purpose["purpose"], key)
        assert purpose["legal_basis"]["article"].startswith("Art. 6(1)")
        assert purpose["legal_basis"]["reason"]
        assert purpose["retention"]["summary"] and purpose["retention"]["tables"]
        assert purpose["transfers_outside_eu"].startswith("none")
    orders = next(p for p in doc["purposes"] if p["purpose"] == "order_processing")
    assert orders["categories_of_data"] == [
        {
            "service": "orders",
            "categories": ["billing address", "invoice", "purchase", "recipients of your data"],
            "codes": ["billing address", "invoice", "purchase", "recipients of your data"],
        }
    ]
    # The tables' recipients join the purpose's; a basis a column declares is listed too.
    assert "fulfilment partners" in orders["recipients"]
    assert orders["recipients"][: len(PURPOSES[Purpose.ORDER_PROCESSING].recipients)] == list(
        PURPOSES[Purpose.ORDER_PROCESSING].recipients
    )
    assert orders["legal_basis"]["basis"] == "contract"
    assert orders["legal_basis"]["also"] == [
        {"basis": "legal_obligation", "name": "legal obligation", "article": "Art. 6(1)(c) GDPR"}
    ]
    kept = {t["table"]: t for t in orders["retention"]["tables"]}
    assert kept["orders"]["after_erasure"]["years"] == 5
    site = next(p for p in doc["purposes"] if p["purpose"] == "site_communication")
    assert "privacy" in {e["service"] for e in site["categories_of_data"]}
    # The three default processors are in it.
    assert [p["name"] for p in doc["processors"]] == [
        "Hosting provider",
        "Email relay",
        "Payment provider",
    ]
    assert all(p["in_eu_eea"] for p in doc["processors"])


async def test_a_missing_declaration_is_shown(database: Database, settings: Settings) -> None:
    doc = await document(database, settings)
    assert doc["services_not_declared"] == sorted({*settings.participants, "privacy"})
    assert all(p["categories_of_data"] == [] for p in doc["purposes"])
    rows = list(csv.DictReader(io.StringIO(render.to_csv(doc))))
    assert [r["purpose"] for r in rows] == [p.value for p in Purpose]  # one row each, still
    assert "have not arrived yet" in render.to_html(doc)


async def test_a_transfer_outside_the_eu_appears_in_every_purpose(
    database: Database, settings: Settings
) -> None:
    await declare_all(database)
    async with database.transaction() as db:
        db.add(
            make_processor(
                name="Analytics Inc.",
                role="statistics",
                data_categories=["connection data"],
                location="US",
                safeguard="standard contractual clauses",
            )
        )
    doc = await document(database, settings)
    for purpose in doc["purposes"]:
        assert purpose["transfers_outside_eu"] == (
            "Analytics Inc. (US): standard contractual clauses"
        )


async def test_csv_has_one_row_per_purpose_and_data_category(
    database: Database, settings: Settings
) -> None:
    await declare_all(database)
    doc = await document(database, settings)
    text = render.to_csv(doc)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == render.CSV_COLUMNS
    expected = {
        (p["purpose"], e["service"], c)
        for p in doc["purposes"]
        for e in p["categories_of_data"]
        for c in e["categories"]
    }
    found = [(r["purpose"], r["service"], r["data_category"]) for r in rows]
    assert len(found) == len(expected)
    assert {(p, s, c.lstrip("'")) for p, s, c in found} == expected
    for row in rows:
        assert all(row[c] for c in render.CSV_COLUMNS if c != "other_legal_bases"), row
    order = next(r for r in rows if r["data_category"] == "purchase")
    assert order["legal_basis"] == "contract" and order["article"] == "Art. 6(1)(b) GDPR"
    assert "fulfilment partners" in order["recipients"]
    assert "orders: five years" not in order["retention_of_tables"]
    # Art. 17(3)(e): a limitation period is kept for legal claims, and the register says so.
    assert (
        "orders: while your account exists (after erasure: L110-4, 5 years; Art. 17(3)(e) "
        "GDPR: establishment, exercise or defence of legal claims)"
    ) in order["retention_of_tables"]
    # A value a spreadsheet would take for a formula is defused.
    [formula] = [r for r in rows if r["purpose"] == "support_requests"]
    assert formula["data_category"] == "'=support request"


async def test_the_csv_header_is_in_the_registers_language(
    database: Database, settings: Settings
) -> None:
    """Asked in French, the CSV's columns are named in French (from the catalogue, like the
    rest of the register); in English, as they always were."""
    await declare_all(database)
    headers = {}
    for lang in ("fr", "en"):
        async with database.transaction() as db:
            doc = await register.register(db, settings, NOW, tenant_id=TENANT, lang=lang)
        headers[lang] = next(csv.reader(io.StringIO(render.to_csv(doc))))
    assert headers["en"] == list(render.CSV_COLUMNS)
    assert headers["fr"] == [
        "finalité",
        "intitulé",
        "description",
        "base_légale",
        "article",
        "motif_de_la_base_légale",
        "autres_bases_légales",
        "catégories_de_personnes",
        "service",
        "catégorie_de_données",
        "destinataires",
        "transferts_hors_ue",
        "durée_de_conservation",
        "conservation_par_table",
        "mesures_de_sécurité",
    ]
    assert render.csv_header("fr") == headers["fr"]


async def test_html_is_a_readable_page_with_everything_escaped(
    database: Database, settings: Settings
) -> None:
    await declare_all(database)
    async with database.transaction() as db:
        await processors.add(  # the DPO's own, after the platform's defaults
            db,
            principal=DPO,
            scope=None,
            name="<script>alert('x')</script> & Co",
            role="<b>bold</b>",
            data_categories=["<img src=x onerror=alert(1)>"],
            location="CH",
            safeguard="adequacy decision <2000/518/EC>",
            now=NOW,
        )
    page = render.to_html(await document(database, settings))
    assert page.startswith("<!DOCTYPE html>")
    for info in PURPOSES.values():
        assert info.title in page
    assert "<script>" not in page and "<b>bold</b>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in page
    assert "adequacy decision &lt;2000/518/EC&gt;" in page
    assert "not needed (EU/EEA)" in page  # the defaults
    assert settings.dpo_email in page


async def test_the_register_in_french_translates_every_text_and_keeps_the_codes(
    database: Database, settings: Settings
) -> None:
    """``lang="fr"`` (``Accept-Language: fr``, the default through the API): titles,
    descriptions, categories, recipients, retention, articles in French; the purposes' and
    bases' codes and the declared names of the categories (``codes``) as they are, so a breach
    still names what the services declared. The CSV and the page follow."""
    await declare_all(database)
    async with database.transaction() as db:
        doc = await register.register(db, settings, NOW, tenant_id=TENANT, lang="fr")
    assert doc["language"] == "fr"
    assert doc["controller"]["name"] == "L'exploitant de la plateforme d'avantages"
    orders = next(p for p in doc["purposes"] if p["purpose"] == "order_processing")
    assert orders["title"] == "Commandes, paiement et livraison"
    assert orders["legal_basis"]["basis"] == "contract"
    assert orders["legal_basis"]["name"] == "contrat"
    assert orders["legal_basis"]["article"] == "art. 6(1)(b) RGPD"
    assert orders["legal_basis"]["also"] == [
        {"basis": "legal_obligation", "name": "obligation légale", "article": "art. 6(1)(c) RGPD"}
    ]
    [data] = orders["categories_of_data"]
    assert dict(zip(data["codes"], data["categories"], strict=True)) == {
        "billing address": "adresse de facturation",
        "invoice": "facture",
        "purchase": "achat",
        "recipients of your data": "destinataires de vos données",
    }
    assert "partenaires chargés de la livraison" in orders["recipients"]
    assert "fulfilment partners" not in orders["recipients"]
    kept = {t["table"]: t for t in orders["retention"]["tables"]}
    assert kept["orders"]["kept"] == "tant que votre compte existe"
    assert kept["orders"]["after_erasure"]["exemption"].startswith("art. 17(3)(e) RGPD")
    assert orders["retention"]["summary"].startswith("commandes 5 ans après l'achat")
    assert {p["name"] for p in doc["processors"]} >= {"Hébergeur", "Relais de courriel"}

    rows = list(csv.DictReader(io.StringIO(render.to_csv(doc))))
    row = next(r for r in rows if r["catégorie_de_données"] == "achat")
    assert (row["finalité"], row["base_légale"]) == ("order_processing", "contrat")
    assert (
        "orders : tant que votre compte existe (après effacement" in row["conservation_par_table"]
    )
    page = render.to_html(doc)
    assert "<html lang='fr'>" in page
    assert "Registre des activités de traitement (art. 30(1) RGPD)" in page
    assert "Base légale" in page and "Legal basis" not in page
