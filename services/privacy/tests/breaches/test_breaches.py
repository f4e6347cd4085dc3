"""Breaches (PR8): the 72-hour deadline on our own clock, the people concerned found from the
data map (service, category, tenant, window), the authority's notifications in phases, and the
people's notice, once each, never for encrypted data."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kit.db import Database
from kit.errors import Conflict, Invalid, NotFound
from privacy.breaches import repository
from privacy.breaches import service as breaches
from privacy.config import Settings
from privacy.models import Breach, BreachAffected, BreachClientNotice
from privacy.register import repository as register
from services.privacy.tests.factories import (
    NOW,
    account_mails,
    make_breach,
    make_map_entry,
    make_principal,
)

DPO = make_principal("t-1", "dpo", user_id="dpo-1", tenant="demo")
SUPPORT = ["support conversation", "support request"]
FACTS = breaches.Facts(
    nature="A support export was sent to the wrong partner.",
    consequences="Others may read your support messages.",
    measures="The partner deleted the file; exports now need two people.",
    encrypted=False,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path, dpo_email="dpo@platform.test")


# -- the deadline --------------------------------------------------------------------------------


def status(aware_hours_ago: float, notified_after: float | None = None) -> breaches.Deadline:
    aware = NOW - timedelta(hours=aware_hours_ago)
    notified = None if notified_after is None else aware + timedelta(hours=notified_after)
    return breaches.deadline(aware, notified, NOW)


def test_the_deadline_is_72_hours_after_awareness_with_its_status() -> None:
    assert status(10) == breaches.Deadline(NOW + timedelta(hours=62), 62.0, "ok")
    assert (status(48).status, status(48).hours_left) == ("ok", 24.0)  # 24 h left: not yet near
    assert (status(50).status, status(50).hours_left) == ("near", 22.0)
    assert (status(72).status, status(72).hours_left) == ("near", 0.0)  # the very last moment
    assert (status(73.5).status, status(73.5).hours_left) == ("past", -1.5)
    # Once the authority is told: met or late, and the hours that were left then.
    assert (status(80, 70).status, status(80, 70).hours_left) == ("met", 2.0)
    assert (status(80, 72).status, status(80, 72).hours_left) == ("met", 0.0)
    assert (status(80, 75).status, status(80, 75).hours_left) == ("late", -3.0)
    assert status(1, 0.5).status == "met"


# -- the people concerned ------------------------------------------------------------------------


async def map_entries(database: Database) -> None:
    rows = [
        ("u-old", "support", "t-1", SUPPORT, NOW - timedelta(days=5)),
        ("u-new", "support", "t-1", SUPPORT, NOW - timedelta(hours=1)),
        ("u-old", "identity", "t-1", ["contact", "identity"], NOW - timedelta(days=5)),
        ("u-id", "identity", "t-1", ["contact", "identity"], NOW - timedelta(days=5)),
        ("u-partner", "support", "t-1", ["business contact"], NOW - timedelta(days=5)),
        ("u-other-tenant", "support", "t-2", SUPPORT, NOW - timedelta(days=5)),
    ]
    async with database.transaction() as db:
        for subject, service_name, tenant, categories, at in rows:
            db.add(
                make_map_entry(subject, service_name, categories, tenant_id=tenant, updated_at=at)
            )


async def found(
    database: Database,
    services: list[str],
    categories: list[str],
    tenant: str = "t-1",
    window_end: datetime | None = None,
) -> tuple[list[str], int]:
    async with database.transaction() as db:
        return await breaches.affected(
            db,
            tenant_id=tenant,
            scope=breaches.Scope(services, categories, window_end=window_end),
        )


async def test_the_people_concerned_by_service_category_tenant_and_window(
    database: Database,
) -> None:
    await map_entries(database)
    assert await found(database, ["support"], ["support conversation"]) == (["u-new", "u-old"], 2)
    assert await found(database, ["support"], ["business contact"]) == (["u-partner"], 1)
    # Any overlap of categories counts; a service the person is not in does not.
    assert await found(database, ["support"], ["business contact", "support request"]) == (
        ["u-new", "u-old", "u-partner"],
        3,
    )
    assert await found(database, ["orders"], ["support conversation"]) == ([], 0)
    assert await found(database, ["identity"], ["support conversation"]) == ([], 0)
    # One person in two services is one person, two records.
    assert await found(database, ["support", "identity"], ["identity", "support request"]) == (
        ["u-id", "u-new", "u-old"],
        4,
    )
    # The other tenant's people are never found; a window keeps who was mapped by its end.
    assert await found(database, ["support"], SUPPORT, tenant="t-2") == (["u-other-tenant"], 1)
    assert await found(database, ["support"], SUPPORT, window_end=NOW - timedelta(days=1)) == (
        ["u-old"],
        1,
    )


async def record(
    database: Database,
    settings: Settings,
    *,
    aware_at: datetime = NOW - timedelta(hours=2),
    scope: breaches.Scope | None = None,
    facts: breaches.Facts = FACTS,
    now: datetime = NOW,
) -> Breach:
    async with database.transaction() as db:
        return await breaches.record(
            db,
            settings,
            principal=DPO,
            aware_at=aware_at,
            scope=scope or breaches.Scope(["support"], ["support conversation"]),
            facts=facts,
            now=now,
        )


async def test_a_breach_is_recorded_with_the_people_it_concerns(
    database: Database, settings: Settings
) -> None:
    await map_entries(database)
    breach = await record(database, settings)
    assert (breach.tenant_id, breach.reported_by, breach.recorded_at) == ("t-1", "dpo-1", NOW)
    assert (breach.approx_people, breach.approx_records) == (2, 2)
    async with database.transaction() as db:
        people = await repository.affected_of(db, breach.id)
        assert [(a.subject, a.notified_at) for a in people] == [("u-new", None), ("u-old", None)]
        assert await repository.counts(db, [breach.id]) == {breach.id: (2, 0)}
    # The DPO's own estimate wins over the data map's count.
    given = await record(
        database,
        settings,
        facts=breaches.Facts("n", "c", "m", encrypted=False, approx_people=40, approx_records=90),
    )
    assert (given.approx_people, given.approx_records) == (40, 90)


async def test_bad_breaches_are_refused(database: Database, settings: Settings) -> None:
    with pytest.raises(Invalid, match="future"):
        await record(database, settings, aware_at=NOW + timedelta(minutes=2))
    await record(database, settings, aware_at=NOW + timedelta(seconds=30))  # clock skew
    with pytest.raises(Invalid, match="unknown services: billing"):
        await record(database, settings, scope=breaches.Scope(["support", "billing"], ["x"]))
    with pytest.raises(Invalid, match="window_end"):
        await record(
            database,
            settings,
            scope=breaches.Scope(["support"], ["x"], NOW - timedelta(hours=1), NOW - timedelta(1)),
        )
    # Once the service declared its categories, a category it does not declare is refused.
    async with database.transaction() as db:
        await register.store_declarations(
            db,
            service="support",
            inventory=[{"table": "tickets", "fields": [{"category": "support request"}]}],
            published_at=NOW,
        )
    with pytest.raises(Invalid, match="do not declare: support requests"):
        await record(database, settings, scope=breaches.Scope(["support"], ["support requests"]))
    await record(database, settings, scope=breaches.Scope(["support"], ["support request"]))


async def test_the_tenants_breaches_most_urgent_first(
    database: Database, settings: Settings
) -> None:
    calm = await record(database, settings, aware_at=NOW - timedelta(hours=1))
    urgent = await record(database, settings, aware_at=NOW - timedelta(hours=60))
    over = await record(database, settings, aware_at=NOW - timedelta(hours=80))
    done = await record(database, settings, aware_at=NOW - timedelta(hours=90))
    async with database.transaction() as db:
        breach = await breaches.breach_in_tenant(db, tenant_id="t-1", breach_id=done.id)
        await breaches.notify_authority(db, breach, phase="initial", text="told", now=NOW)
        db.add(make_breach(tenant_id="t-2"))
    async with database.transaction() as db:
        listed = await repository.breaches_page(db, tenant_id="t-1", cursor=None, limit=100)
        assert [b.id for b in listed.items] == [over.id, urgent.id, calm.id, done.id]
        assert listed.next_cursor is None
        # Paged by the database, across the two parts of the order (not told, then told).
        first = await repository.breaches_page(db, tenant_id="t-1", cursor=None, limit=3)
        second = await repository.breaches_page(
            db, tenant_id="t-1", cursor=first.next_cursor, limit=3
        )
        assert [b.id for b in first.items + second.items] == [b.id for b in listed.items]
        assert second.next_cursor is None
        with pytest.raises(NotFound):  # another tenant's id is no breach of ours
            await breaches.breach_in_tenant(db, tenant_id="t-2", breach_id=calm.id)


# -- notifications -------------------------------------------------------------------------------


async def test_the_authority_is_notified_in_phases(database: Database, settings: Settings) -> None:
    breach = await record(database, settings, aware_at=NOW - timedelta(hours=60))
    async with database.transaction() as db:
        found_breach = await breaches.breach_in_tenant(db, tenant_id="t-1", breach_id=breach.id)
        with pytest.raises(Conflict, match="initial"):
            await breaches.notify_authority(
                db, found_breach, phase="follow-up", text="more", now=NOW
            )
        await breaches.notify_authority(db, found_breach, phase="initial", text="first", now=NOW)
        with pytest.raises(Conflict, match="already"):
            await breaches.notify_authority(
                db, found_breach, phase="initial", text="again", now=NOW
            )
        later = NOW + timedelta(days=3)
        await breaches.notify_authority(db, found_breach, phase="follow-up", text="more", now=later)
    async with database.transaction() as db:
        found_breach = await breaches.breach_in_tenant(db, tenant_id="t-1", breach_id=breach.id)
        assert found_breach.authority_notified_at == NOW  # the first one counts
        assert breaches.deadline_of(found_breach, later).status == "met"
        told = await repository.notifications_of(db, breach.id)
        assert [(n.phase, n.text) for n in told] == [("initial", "first"), ("follow-up", "more")]


async def mails(database: Database, *, to_client: bool = False) -> list[dict[str, Any]]:
    """The mails asked of identity: to the people concerned, or (``to_client``) to the
    client's admins, named by role."""
    found = await account_mails(database)
    return [m for m in found if ("role" in m["payload"]) == to_client]


async def test_the_people_concerned_are_told_once(database: Database, settings: Settings) -> None:
    await map_entries(database)
    breach = await record(database, settings)
    async with database.transaction() as db:
        locked = await breaches.breach_in_tenant(
            db, tenant_id="t-1", breach_id=breach.id, lock=True
        )
        assert await breaches.notify_people(db, settings, locked, NOW) == 2
    [mail] = await mails(database)
    assert mail["key"] == "account.mail.identity" and mail["tenant"] == "t-1"
    payload = mail["payload"]
    assert isinstance(payload, dict) and payload["marketing"] is False
    # Art. 34: identity mails the deactivated accounts of the list too.
    assert payload["deactivated_too"] is True
    assert payload["recipients"] == [
        {"subject": "u-new", "footer": None},
        {"subject": "u-old", "footer": None},
    ]
    text = str(payload["text"])
    assert text.index("Bonjour") < text.index("Hello")  # French, then English
    for part in (FACTS.nature, FACTS.consequences, FACTS.measures, "dpo@platform.test"):
        assert text.count(part) == 2
    assert "u-new" not in text and "u-old" not in text
    # The declared category, in each language (kit.i18n's catalogue).
    french, english = text.split("-----")
    assert "Données concernées : échanges avec l'assistance" in french
    assert "Data concerned: support conversation" in english
    # A second call, or one after a new person was found, tells nobody twice.
    async with database.transaction() as db:
        locked = await breaches.breach_in_tenant(db, tenant_id="t-1", breach_id=breach.id)
        assert await breaches.notify_people(db, settings, locked, NOW + timedelta(hours=1)) == 0
        assert locked.people_notified_at == NOW
        db.add(BreachAffected(breach_id=breach.id, subject="u-late", notified_at=None))
    async with database.transaction() as db:
        locked = await breaches.breach_in_tenant(db, tenant_id="t-1", breach_id=breach.id)
        assert await breaches.notify_people(db, settings, locked, NOW + timedelta(hours=2)) == 1
        assert locked.people_notified_at == NOW
        told = {a.subject: a.notified_at for a in await repository.affected_of(db, breach.id)}
    assert told == {"u-new": NOW, "u-old": NOW, "u-late": NOW + timedelta(hours=2)}
    assert [m["payload"]["recipients"] for m in await mails(database)][1] == [
        {"subject": "u-late", "footer": None}
    ]


async def test_nobody_is_told_of_a_breach_of_encrypted_data(
    database: Database, settings: Settings
) -> None:
    await map_entries(database)
    facts = breaches.Facts("A laptop was stolen.", "None.", "Disk wiped.", encrypted=True)
    breach = await record(database, settings, facts=facts)
    async with database.transaction() as db:
        locked = await breaches.breach_in_tenant(db, tenant_id="t-1", breach_id=breach.id)
        with pytest.raises(Conflict, match=r"encrypted.*34\(3\)\(a\)"):
            await breaches.notify_people(db, settings, locked, NOW)
    assert await mails(database) == []


# -- the client, controller of its people's data (Art. 33(2)) --------------------------------


async def test_the_client_is_told_as_the_breach_is_recorded_with_art_33_3(
    database: Database, settings: Settings
) -> None:
    """The tenant's admins get the nature, categories and approximate numbers of people and
    records, the DPO's contact, the likely consequences and the measures; the notice is
    recorded (which tenant, who, when), in the breach's detail too."""
    await map_entries(database)
    breach = await record(database, settings)
    [mail] = await mails(database, to_client=True)
    assert mail["key"] == "account.mail.identity" and mail["tenant"] == "t-1"
    payload = mail["payload"]
    assert payload["role"] == "tenant_admin" and payload["recipients"] == []
    assert payload["marketing"] is False
    text = payload["text"]
    for expected in (
        FACTS.nature,
        FACTS.consequences,
        FACTS.measures,
        "support conversation",
        "Approximate number of people concerned: 2",
        "Approximate number of records concerned: 2",
        "Nombre approximatif de personnes concernées : 2",
        "dpo@platform.test",
        settings.dpo_address,
        "Article 33(2)",
    ):
        assert expected in text, expected
    async with database.transaction() as db:
        [notice] = (await db.scalars(select(BreachClientNotice))).all()
        assert (notice.breach_id, notice.tenant_id, notice.recipients, notice.at) == (
            breach.id,
            "t-1",
            "tenant_admin",
            NOW,
        )
        assert notice.text == text
        assert [n.id for n in await repository.client_notices_of(db, breach.id)] == [notice.id]
    # Nobody's address or id is in it: the people concerned are told on their own (Art. 34).
    assert "u-old" not in text and "u-new" not in text


async def test_a_breach_touching_nobody_tells_no_client(
    database: Database, settings: Settings
) -> None:
    await map_entries(database)
    await record(database, settings, scope=breaches.Scope(["orders"], ["support conversation"]))
    assert await mails(database, to_client=True) == []
    async with database.transaction() as db:
        assert (await db.scalars(select(BreachClientNotice))).all() == []
