"""The platform as a processor (Art. 28, 30(2)): the record per client built from the same
declarations as the controller's register, the client's contract and the sub-processors it
was told of and accepted, and who reads which tenant's record."""

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kit.db import Database, utcnow
from kit.errors import Forbidden, NotFound
from kit.i18n import Language
from kit.privacy.declarations import PURPOSES
from kit.privacy.protocol import ACCOUNT_MAIL
from privacy.clients import render, service
from privacy.clients.models import SubprocessorNotice
from privacy.config import Settings
from privacy.models import events
from privacy.processors.models import Processor
from services.privacy.tests.factories import (
    NOW,
    make_map_entry,
    make_principal,
    make_processor,
)
from services.privacy.tests.register.test_register import declare_all

ADMIN_1 = make_principal("t-1", "tenant_admin", user_id="admin-1", tenant="acme")
ROOT = make_principal("t-root", "platform_admin")
DEFAULTS = ["Hosting provider", "Email relay", "Payment provider"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path, dpo_email="dpo@platform.test")


async def record(
    database: Database, settings: Settings, tenant: str = "t-1", lang: Language = "en"
) -> dict[str, Any]:
    async with database.transaction() as db:
        return await service.record(
            db, settings, NOW, tenant_id=tenant, client_name="acme", lang=lang
        )


async def client_mails(database: Database) -> list[dict[str, Any]]:
    async with database.transaction() as db:
        rows = await db.execute(
            select(events.outbox.c.routing_key, events.outbox.c.body).where(
                events.outbox.c.type == ACCOUNT_MAIL
            )
        )
        return [{"key": key, **json.loads(body)} for key, body in rows.all()]


# -- the record --------------------------------------------------------------------------------


async def test_the_record_names_the_client_the_platform_its_processing_and_measures(
    database: Database, settings: Settings
) -> None:
    await declare_all(database)
    doc = await record(database, settings)
    assert doc["record"] == "Art. 30(2) GDPR"
    assert doc["controller"] == {
        "tenant_id": "t-1",
        "name": "acme",
        "contract": None,
        "contract_text": "no contract recorded",
    }
    assert doc["processor"]["dpo"] == {
        "name": settings.dpo_name,
        "email": "dpo@platform.test",
        "address": settings.dpo_address,
    }
    # The purposes run for the client, with the data the services declared; listing
    # partners is the platform's own processing, not the client's.
    assert [c["purpose"] for c in doc["categories_of_processing"]] == [
        "site_communication",
        "social_cultural_activities",
        "order_processing",
        "support_requests",
    ]
    orders = doc["categories_of_processing"][2]
    assert orders["categories_of_data"] == [
        {
            "service": "orders",
            "categories": ["billing address", "invoice", "purchase", "recipients of your data"],
            "codes": ["billing address", "invoice", "purchase", "recipients of your data"],
        }
    ]
    assert all(c["categories_of_people"] for c in doc["categories_of_processing"])
    assert [s["name"] for s in doc["subprocessors"]] == DEFAULTS
    assert {s["status"] for s in doc["subprocessors"]} == {"in_contract"}
    assert doc["transfers_outside_eu"] == [] and doc["transfers_text"] == "none"
    # Art. 32: every measure of every purpose run for the client, each once.
    for purpose in service.ON_BEHALF_OF_CLIENTS:
        assert set(PURPOSES[purpose].security_measures) <= set(doc["security_measures"])
    assert len(doc["security_measures"]) == len(set(doc["security_measures"]))


async def test_the_record_follows_the_language_french_by_default(
    database: Database, settings: Settings
) -> None:
    await declare_all(database)
    fr = await record(database, settings, lang=service.language(None))
    assert fr["language"] == "fr" and fr["title"].startswith("Registre")
    assert fr["categories_of_processing"][2]["title"] == "Commandes, paiement et livraison"
    assert fr["transfers_text"] == "aucun"
    en = await record(database, settings, lang=service.language("en-GB,en;q=0.9,fr;q=0.5"))
    assert en["language"] == "en" and en["title"].startswith("Record")
    assert service.language("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert service.language("de-DE, en;q=0.3") == "en"
    assert service.language("de, it") == "fr"
    assert service.language("en;q=bad, fr;q=0.1") == "fr"


async def test_a_transfer_outside_the_eu_is_listed_with_its_safeguard(
    database: Database, settings: Settings
) -> None:
    async with database.transaction() as db:
        db.add(make_processor(name="Mailer Inc.", location="US", safeguard="SCCs 2021/914"))
        db.add(make_processor(name="Tenant-2's own", location="CH", safeguard="adequacy"))
    async with database.transaction() as db:
        own = (await db.scalars(select(Processor))).all()
        next(p for p in own if p.name == "Tenant-2's own").tenant_id = "t-2"
    doc = await record(database, settings)
    assert doc["transfers_outside_eu"] == [
        {"name": "Mailer Inc.", "location": "US", "safeguard": "SCCs 2021/914"}
    ]
    assert doc["transfers_text"] == "Mailer Inc. (US): SCCs 2021/914"
    # Another tenant's own processor is not the platform's sub-processor.
    assert "Tenant-2's own" not in {s["name"] for s in doc["subprocessors"]}


async def test_csv_and_html_have_the_same_content(database: Database, settings: Settings) -> None:
    await declare_all(database)
    async with database.transaction() as db:
        await service.set_contract(
            db,
            tenant_id="t-1",
            client_name="=ACME <b>SA</b>",
            contract_reference="DPA-2026-001",
            signed_at=NOW,
            now=NOW,
        )
    doc = await record(database, settings)
    rows = list(csv.DictReader(io.StringIO(render.to_csv(doc))))
    assert tuple(rows[0]) == render.CSV_COLUMNS
    assert {r["controller"] for r in rows} == {"'=ACME <b>SA</b>"}  # no formula
    assert {r["contract"] for r in rows} == {"DPA-2026-001"}
    subs = [r for r in rows if r["section"] == "subprocessor"]
    assert [r["subprocessor"] for r in subs] == DEFAULTS
    processing = {(r["purpose"], r["data_category"]) for r in rows if r["section"] == "processing"}
    assert ("order_processing", "purchase") in processing
    page = render.to_html(doc)
    assert page.startswith("<!DOCTYPE html>") and "<b>SA</b>" not in page
    assert "=ACME &lt;b&gt;SA&lt;/b&gt;" in page and "DPA-2026-001" in page
    assert "dpo@platform.test" in page and "Payment provider" in page


async def test_the_csv_is_in_the_records_language(database: Database, settings: Settings) -> None:
    """Asked in French, the header and the sections are French too, not only the cells."""
    await declare_all(database)
    french = list(
        csv.reader(io.StringIO(render.to_csv(await record(database, settings, lang="fr"))))
    )
    assert french[0] == render.csv_header("fr") != list(render.CSV_COLUMNS)
    assert french[0][:3] == ["section", "responsable_du_traitement", "contrat"]
    assert {line[0] for line in french[1:]} == {"traitement", "sous-traitant_ultérieur"}
    english = list(csv.reader(io.StringIO(render.to_csv(await record(database, settings)))))
    assert tuple(english[0]) == render.CSV_COLUMNS


# -- the contract and the sub-processors -----------------------------------------------------


async def test_a_new_subprocessor_is_announced_to_every_client_then_accepted(
    database: Database, settings: Settings
) -> None:
    async with database.transaction() as db:
        db.add(make_map_entry("u-1", "orders", ["purchase"], tenant_id="t-1"))
        db.add(make_map_entry("u-2", "orders", ["purchase"], tenant_id="t-2"))
        await service.set_contract(
            db,
            tenant_id="t-3",
            client_name="Third",
            contract_reference="DPA-3",
            signed_at=NOW,
            now=NOW,
        )
    later = NOW + timedelta(days=1)
    async with database.transaction() as db:
        new = make_processor(name="SMS Ltd", role="text messages", created_at=later)
        db.add(new)
        await db.flush()
        assert await service.announce(db, settings, new, later) == 3
    mails = await client_mails(database)
    assert sorted(m["tenant"] for m in mails) == ["t-1", "t-2", "t-3"]
    for mail in mails:
        assert mail["payload"]["role"] == "tenant_admin"
        assert "SMS Ltd" in mail["payload"]["text"] and "28(2)" in mail["payload"]["text"]
    # Announced, not accepted: listed so, and not usable for the client.
    doc = await record(database, settings)
    sms = next(s for s in doc["subprocessors"] if s["name"] == "SMS Ltd")
    assert (sms["status"], sms["announced_at"], sms["accepted_at"]) == (
        "announced",
        later.isoformat(),
        None,
    )
    async with database.transaction() as db:
        assert "SMS Ltd" not in {p.name for p in await service.usable_for(db, tenant_id="t-1")}
        notice = await service.accept(db, principal=ADMIN_1, processor_id=new.id, now=later)
        assert (notice.accepted_at, notice.accepted_by) == (later, "admin-1")
        # Accepting again keeps the first acceptance.
        again = await service.accept(
            db, principal=ADMIN_1, processor_id=new.id, now=later + timedelta(hours=1)
        )
        assert again.accepted_at == later
        assert "SMS Ltd" in {p.name for p in await service.usable_for(db, tenant_id="t-1")}
        # t-2 has not accepted it: still not usable there.
        assert "SMS Ltd" not in {p.name for p in await service.usable_for(db, tenant_id="t-2")}
        with pytest.raises(NotFound):
            await service.accept(db, principal=ADMIN_1, processor_id="no-such", now=later)
    doc = await record(database, settings)
    sms = next(s for s in doc["subprocessors"] if s["name"] == "SMS Ltd")
    assert (sms["status"], sms["accepted_at"]) == ("accepted", later.isoformat())


async def test_the_processors_in_place_at_signature_are_in_the_contract(
    database: Database, settings: Settings
) -> None:
    # The platform's processors are seeded by the migration at the real clock's time: the
    # contract is signed after that, whatever the day the tests run.
    signed = utcnow() + timedelta(days=400)
    async with database.transaction() as db:
        contract = await service.set_contract(
            db,
            tenant_id="t-1",
            client_name="Acme SA",
            contract_reference="DPA-2026-001",
            signed_at=signed,
            now=NOW,
        )
        assert contract.client_name == "Acme SA"
        notices = (await db.scalars(select(SubprocessorNotice))).all()
        assert len(notices) == 3 and all(n.accepted_by is None for n in notices)
    doc = await record(database, settings)
    assert doc["controller"]["name"] == "Acme SA"
    assert doc["controller"]["contract"] == {
        "reference": "DPA-2026-001",
        "signed_at": signed.isoformat(),
    }
    assert {s["status"] for s in doc["subprocessors"]} == {"in_contract"}


def test_a_tenant_reads_its_own_record_and_the_platform_names_one() -> None:
    assert service.record_tenant(ADMIN_1, None) == "t-1"
    assert service.record_tenant(ADMIN_1, "t-1") == "t-1"
    with pytest.raises(Forbidden):
        service.record_tenant(ADMIN_1, "t-2")
    with pytest.raises(Forbidden):
        service.record_tenant(make_principal("t-1", "dpo"), "t-2")
    assert service.record_tenant(ROOT, "t-2") == "t-2"
