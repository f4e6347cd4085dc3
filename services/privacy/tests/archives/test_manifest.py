"""Art. 15(1)(a)-(h) and 15(2), read in a real archive: made as a completed access request
makes it (a service's sealed part, privacy's own), downloaded and opened. Recipients and
transfers come from the declarations, the purposes and the tenant's processors register: a
processor outside the EU shows, with its safeguard; the host, the mail relay, the payment
provider and the works council are among the recipients."""

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

from kit.crypto import seal
from kit.db import Database
from kit.privacy.protocol import seal_context
from privacy.archives import service as archives
from privacy.context import Context
from privacy.models import ExportPart, Processor
from privacy.requests.models import RequestStatus
from services.privacy.tests.factories import NOW, make_principal, make_request

SAFEGUARD = "standard contractual clauses (Decision 2021/914), module 2"
#: An orders part as its worker seals it: the tables found, and its declarations.
ORDERS_PART = {
    "service": "orders",
    "tables": {"orders": [{"user_id": "u-1", "total_cents": 4000, "created_at": "2026-11-01"}]},
    "inventory": [
        {
            "service": "orders",
            "table": "orders",
            "source": "you",
            "recipients": ["fulfilment partners"],
            "kept": "5 years after the purchase",
            "lifetime": None,
            "retention": {
                "years": 5,
                "counted_from": "created_at",
                "legal_basis": "legal_claims",
                "article": "Art. 6(1)(f) and Art. 17(3)(e) GDPR",
                "reason": "commercial limitation period (Code de commerce, art. L110-4)",
            },
            "fields": [
                {
                    "name": "user_id",
                    "category": "purchase",
                    "purpose": "order_processing",
                    "basis": "contract",
                }
            ],
        }
    ],
}


async def archive_of(
    database: Database, ctx: Context, *, tenant: str, language: str = "en"
) -> dict[str, Any]:
    """Made, downloaded by the person, opened: every file of the zip (a request filed in
    ``language``)."""
    async with database.transaction() as db:
        request = make_request(
            tenant_id=tenant, subject="u-1", status=RequestStatus.COMPLETED, language=language
        )
        db.add(request)
        await db.flush()
        db.add(
            ExportPart(
                request_id=request.id,
                service="orders",
                sealed=seal(
                    ctx.seal_keys.public,
                    json.dumps(ORDERS_PART).encode(),
                    context=seal_context(request.id, "orders", "export"),
                ),
                received_at=NOW,
            )
        )
        await db.flush()
        await archives.make_archive(db, ctx, request, NOW)
    person = make_principal(tenant, "employee", user_id="u-1")
    async with database.transaction() as db:
        data = await archives.download(
            db, ctx, principal=person, request_id=request.id, now=NOW + timedelta(hours=1)
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n).decode() for n in archive.namelist()}


async def add_processor(database: Database, tenant: str | None, location: str) -> None:
    async with database.transaction() as db:
        db.add(
            Processor(
                tenant_id=tenant,
                name="Analytics Inc.",
                role="usage statistics",
                data_categories=["connection data"],
                location=location,
                safeguard=SAFEGUARD if location == "US" else None,
                created_at=NOW,
            )
        )


async def test_the_manifest_answers_every_item_of_article_15(
    database: Database, ctx: Context
) -> None:
    await add_processor(database, "t-1", "US")
    files = await archive_of(database, ctx, tenant="t-1")
    assert {"manifest.json", "README.txt", "orders.json", "privacy.json"} <= set(files)
    assert json.loads(files["orders.json"]) == ORDERS_PART["tables"]
    manifest = json.loads(files["manifest.json"])
    # (a) the purposes, with their legal bases; (b) the categories of data.
    orders = manifest["purposes"]["order_processing"]
    assert orders == {
        "title": "Orders, payment and delivery",
        "legal_bases": ["contract"],
        "legal_bases_in_words": ["contract"],
        "categories": ["purchase"],
        "services": ["orders"],
    }
    assert manifest["language"] == "en"
    assert "site_communication" in manifest["purposes"]  # privacy's own data (requests...)
    # (c) the recipients: the tables', the purposes', and every processor of the register.
    recipients = manifest["recipients"]
    for expected in (
        "fulfilment partners",
        "the payment provider",
        "the works council (its accounts)",
        "Analytics Inc. (usage statistics; processor, US)",
    ):
        assert expected in recipients, expected
    processors = [r for r in recipients if r.endswith("processor, FR)")]
    roles = " ".join(processors).lower()
    for role in ("hosting", "mail", "payment"):  # the migration's three defaults
        assert role in roles, (role, processors)
    # (c) and 15(2): the transfer outside the EU, with its safeguard.
    assert manifest["transfers_outside_eu"] == [
        {"recipient": "Analytics Inc.", "country": "US", "safeguard": SAFEGUARD}
    ]
    # (d) how long: per table, while the account exists and after an erasure.
    [kept] = [r for r in manifest["retention"] if r["table"] == "orders"]
    assert kept["kept"] == "5 years after the purchase"
    assert kept["after_erasure"]["legal_basis"] == "legal_claims"
    # (e) the rights, (f) the complaint to the authority, (g) the sources, (h) no automated
    # decision.
    assert set(manifest["your_rights"]) == {
        "access",
        "rectification",
        "erasure",
        "restriction",
        "portability",
        "objection",
    }
    assert "CNIL" in manifest["complaint"]
    assert "you" in manifest["sources"]
    assert manifest["automated_decisions"] == "none"
    assert manifest["dpo"]["email"] == ctx.settings.dpo_email


async def test_no_transfer_when_every_processor_is_in_the_eu(
    database: Database, ctx: Context
) -> None:
    # Another tenant's processor outside the EU is not this person's recipient.
    await add_processor(database, "t-2", "US")
    await add_processor(database, None, "DE")
    manifest = json.loads((await archive_of(database, ctx, tenant="t-1"))["manifest.json"])
    assert manifest["transfers_outside_eu"] == []
    assert "Analytics Inc. (usage statistics; processor, DE)" in manifest["recipients"]
    assert "Analytics Inc. (usage statistics; processor, US)" not in manifest["recipients"]


async def test_a_request_filed_in_french_gets_its_art_15_information_in_french(
    database: Database, ctx: Context
) -> None:
    """The same archive for a request filed with ``Accept-Language: fr``: the keys and the
    codes stay, every text a person reads is French (``kit/locales/fr.json``)."""
    await add_processor(database, "t-1", "US")
    files = await archive_of(database, ctx, tenant="t-1", language="fr")
    manifest = json.loads(files["manifest.json"])
    assert manifest["language"] == "fr"
    orders = manifest["purposes"]["order_processing"]
    assert orders["title"] == "Commandes, paiement et livraison"
    assert orders["legal_bases"] == ["contract"]  # the code, as in English
    assert orders["legal_bases_in_words"] == ["contrat"]
    assert orders["categories"] == ["achat"]
    assert manifest["controller"].startswith("L'exploitant de la plateforme")
    for expected in (
        "partenaires chargés de la livraison",
        "le prestataire de paiement",
        "Analytics Inc. (usage statistics ; sous-traitant, US)",
    ):
        assert expected in manifest["recipients"], expected
    assert (
        "Hébergeur (hébergement des serveurs, des bases de données et des sauvegardes ; "
        "sous-traitant, FR)"
    ) in manifest["recipients"]
    [own] = [r for r in manifest["retention"] if r["table"] == "requests"]
    assert own["kept"] == "comme preuve de la réponse"
    assert "vous" in manifest["sources"]
    assert manifest["your_rights"]["erasure"].startswith("Art. 17 : faire effacer vos données")
    assert "réclamation auprès de la CNIL" in manifest["complaint"]
    assert manifest["automated_decisions"] == "aucun"
    readme = files["README.txt"]
    assert readme.startswith("Vos données sur la plateforme d'avantages")
    assert "(accès), archive établie le" in readme
    assert f"supprimée de nos serveurs {ctx.settings.archive_days} jours" in readme
    assert "Your data" not in readme
