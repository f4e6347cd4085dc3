"""The end of a client's contract (Art. 28(3)(g)): a tenant's closure tells identity, exports
every person into one client archive, then erases each (the request machinery), with a
report; each step is one transaction, repeated steps do nothing twice, and no other tenant is
touched."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from kit.db import Database
from kit.errors import Forbidden, Invalid, NotFound
from kit.events import Envelope
from kit.privacy.protocol import ANSWERED, TENANT_CLOSED, TENANT_CLOSING
from privacy import handlers
from privacy.archives.models import Archive
from privacy.closures import service as closures
from privacy.closures.models import ClosurePerson, TenantClosure
from privacy.context import Context
from privacy.models import Request, Task, events
from privacy.requests import commands
from services.privacy.tests.factories import make_map_entry, make_principal

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ADMIN = make_principal("t-1", "tenant_admin", user_id="admin-1")
ROOT = make_principal("t-root", "platform_admin", user_id="root")
#: What orders answers to an erasure: two rows erased, one invoice kept ten years.
ORDERS_ERASED = {
    "tables": [
        {"table": "orders", "erased_rows": 2, "kept_rows": 0},
        {
            "table": "invoices",
            "erased_rows": 1,
            "kept_rows": 1,
            "kept_fields": ["number", "amount"],
            "legal_basis": "legal_obligation",
            "reason": "Code de commerce L123-22",
            "kept_until": "2036-11-27T12:00:00+00:00",
        },
    ]
}


async def people(database: Database) -> None:
    """Two people of t-1 (one with orders), one of t-2."""
    async with database.transaction() as db:
        db.add(make_map_entry("u-1", "identity", ["identity"]))
        db.add(make_map_entry("u-1", "orders", ["purchase"]))
        db.add(make_map_entry("u-2", "identity", ["identity"]))
        db.add(make_map_entry("u-9", "identity", ["identity"], tenant_id="t-2"))


async def step(database: Database, ctx: Context, now: datetime = NOW) -> int:
    async with database.transaction() as db:
        return await closures.advance_all(db, ctx, now)


async def answer_everything(database: Database, ctx: Context, now: datetime = NOW) -> int:
    """Every service answers every waiting command (phase after phase), as its worker would."""
    answered = 0
    while True:
        async with database.transaction() as db:
            waiting = (await db.scalars(select(Task).where(Task.status == "waiting"))).all()
            if not waiting:
                return answered
            for task in waiting:
                result: dict[str, Any] = {}
                if task.action == "erase":
                    result = ORDERS_ERASED if task.service == "orders" else {"tables": []}
                envelope = Envelope(
                    type=ANSWERED,
                    source=task.service,
                    payload={
                        "request_id": task.request_id,
                        "action": task.action,
                        "service": task.service,
                        "status": "done",
                        "result": result,
                    },
                )
                await commands.record_answer(db, ctx, envelope, now)
                answered += 1


async def identity_answers(database: Database, ctx: Context, accounts: int = 2) -> None:
    """Identity closed the tenant and announced its accounts (``tenant.closed``)."""
    async with database.transaction() as db:
        envelope = Envelope(
            type=TENANT_CLOSED,
            source="identity",
            tenant="t-1",
            occurred_at=NOW,
            payload={"accounts": accounts},
        )
        await handlers.on_tenant_closed(ctx, db, envelope)


async def closure_of(database: Database, tenant: str = "t-1") -> TenantClosure:
    async with database.transaction() as db:
        found = await db.get(TenantClosure, tenant)
        assert found is not None
        return found


async def requests_of(database: Database, tenant: str) -> list[Request]:
    async with database.transaction() as db:
        found = await db.scalars(select(Request).where(Request.tenant_id == tenant))
        return list(found.all())


async def test_a_closure_exports_everyone_then_erases_them_with_a_report(
    database: Database, ctx: Context
) -> None:
    await people(database)
    async with database.transaction() as db:
        with pytest.raises(Invalid):  # the tenant's name, to confirm
            await closures.start(db, principal=ADMIN, tenant_id=None, confirm="t-2", now=NOW)
        closure = await closures.start(db, principal=ADMIN, tenant_id=None, confirm="t-1", now=NOW)
        assert (closure.tenant_id, closure.status, closure.requested_by) == (
            "t-1",
            "exporting",
            "admin-1",
        )
        [told] = (
            await db.execute(select(events.outbox).where(events.outbox.c.type == TENANT_CLOSING))
        ).all()
        assert told.routing_key == "tenant.closing.identity"
        assert json.loads(told.body)["tenant"] == "t-1"

    # Nothing before identity closed the tenant and announced its accounts; then, until the
    # data map holds as many people (a third account's mark on its way), nothing either.
    assert await step(database, ctx) == 0
    await identity_answers(database, ctx, accounts=3)
    assert (await closure_of(database)).accounts == 3
    assert await step(database, ctx) == 0
    assert await requests_of(database, "t-1") == []
    async with database.transaction() as db:
        db.add(make_map_entry("u-3", "identity", ["identity"]))

    # Exporting: one access request per person of the data map, for the client's archive.
    assert await step(database, ctx) == 1
    access = await requests_of(database, "t-1")
    assert sorted((r.subject, r.type, r.channel) for r in access) == [
        ("u-1", "access", "tenant-closure"),
        ("u-2", "access", "tenant-closure"),
        ("u-3", "access", "tenant-closure"),
    ]
    assert await step(database, ctx) == 0  # waiting for the services: nothing opened twice
    assert len(await requests_of(database, "t-1")) == 3
    with pytest.raises(NotFound):  # not made yet
        async with database.transaction() as db:
            await closures.download(db, ctx, principal=ROOT, tenant_id="t-1", now=NOW)

    await answer_everything(database, ctx)
    assert await step(database, ctx) == 1
    closure = await closure_of(database)
    assert (closure.status, closure.exported_at) == ("erasing", NOW)
    async with database.transaction() as db:
        assert await db.scalar(select(func.count()).select_from(Archive)) == 0  # joined, gone
        data = await closures.download(db, ctx, principal=ROOT, tenant_id="t-1", now=NOW)
        with pytest.raises(Forbidden):
            await closures.download(db, ctx, principal=ADMIN, tenant_id="t-1", now=NOW)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == [
            "manifest.json",
            "people/u-1.zip",
            "people/u-2.zip",
            "people/u-3.zip",
        ]
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["people"] == ["u-1", "u-2", "u-3"] and manifest["tenant_id"] == "t-1"
        with zipfile.ZipFile(io.BytesIO(archive.read("people/u-1.zip"))) as person:
            assert "manifest.json" in person.namelist() and "privacy.json" in person.namelist()

    # Erasing: one erasure per person, every service, then the report.
    assert await step(database, ctx) == 1
    erasures = [r for r in await requests_of(database, "t-1") if r.type == "erasure"]
    assert sorted(r.subject or "" for r in erasures) == ["u-1", "u-2", "u-3"]
    assert {r.channel for r in erasures} == {"tenant-closure"}
    assert await step(database, ctx) == 0
    await answer_everything(database, ctx)
    assert await step(database, ctx) == 1
    closure = await closure_of(database)
    assert (closure.status, closure.completed_at) == ("completed", NOW)
    report = closure.report
    assert report is not None
    assert (report["people"], report["erasures"], report["completed"]) == (3, 3, 3)
    assert report["services"]["orders"] == {
        "erased_rows": 9,
        "kept_rows": 3,
        "kept": {
            "invoices": {
                "rows": 3,
                "legal_basis": "legal_obligation",
                "reason": "Code de commerce L123-22",
                "kept_until": "2036-11-27T12:00:00+00:00",
            }
        },
    }
    assert report["services"]["identity"]["erased_rows"] == 0
    # Erased: the closure keeps keyed hashes, no ids.
    async with database.transaction() as db:
        rows = (await db.scalars(select(ClosurePerson))).all()
        assert [(p.subject, bool(p.subject_key)) for p in rows] == [(None, True)] * 3
        progress = await closures.progress(db, closure)
        assert progress == {"people": 3, "exported": 3, "erased": 3, "failed": 0}
    assert await step(database, ctx) == 0  # completed: nothing more
    # The other tenant: nothing asked of anyone.
    assert await requests_of(database, "t-2") == []


async def test_who_closes_and_asking_twice_is_one_closure(database: Database, ctx: Context) -> None:
    async with database.transaction() as db:
        with pytest.raises(Forbidden):
            await closures.start(db, principal=ADMIN, tenant_id="t-2", confirm="t-2", now=NOW)
        with pytest.raises(Forbidden):
            await closures.start(
                db,
                principal=make_principal("t-1", "employee"),
                tenant_id=None,
                confirm="t-1",
                now=NOW,
            )
        with pytest.raises(Forbidden):
            await closures.start(
                db, principal=make_principal("t-1", "dpo"), tenant_id=None, confirm="t-1", now=NOW
            )
        with pytest.raises(Invalid):  # the platform confirms with the tenant's id
            await closures.start(db, principal=ROOT, tenant_id="t-2", confirm="t-root", now=NOW)
        first = await closures.start(db, principal=ROOT, tenant_id="t-2", confirm="t-2", now=NOW)
    async with database.transaction() as db:
        again = await closures.start(
            db, principal=ROOT, tenant_id="t-2", confirm="t-2", now=NOW + timedelta(1)
        )
        assert (again.tenant_id, again.requested_at) == (first.tenant_id, NOW)
        told = await db.scalar(
            select(func.count())
            .select_from(events.outbox)
            .where(events.outbox.c.type == TENANT_CLOSING)
        )
        assert told == 1
        with pytest.raises(NotFound):
            await closures.visible_closure(db, principal=ROOT, tenant_id="t-1")
        with pytest.raises(NotFound):  # another tenant's: as if it did not exist
            await closures.visible_closure(db, principal=ADMIN, tenant_id="t-2")


async def test_a_failed_export_is_asked_again(database: Database, ctx: Context) -> None:
    await people(database)
    async with database.transaction() as db:
        await closures.start(db, principal=ADMIN, tenant_id=None, confirm="t-1", now=NOW)
    await identity_answers(database, ctx)
    await step(database, ctx)
    async with database.transaction() as db:
        first = (await db.scalars(select(Request).where(Request.subject == "u-1"))).one()
        first.status = "failed"
    assert await step(database, ctx) == 1
    async with database.transaction() as db:
        person = (
            await db.scalars(select(ClosurePerson).where(ClosurePerson.subject == "u-1"))
        ).one()
        assert person.access_request_id != first.id
        again = await db.get(Request, person.access_request_id)
        assert again is not None and again.status == "in_progress"
    assert (await closure_of(database)).status == "exporting"


async def test_the_client_archive_goes_at_its_date(database: Database, ctx: Context) -> None:
    await people(database)
    async with database.transaction() as db:
        await closures.start(db, principal=ADMIN, tenant_id=None, confirm="t-1", now=NOW)
    await identity_answers(database, ctx)
    await step(database, ctx)
    await answer_everything(database, ctx)
    await step(database, ctx)
    folder = closures.closures_dir(ctx)
    assert len(list(folder.iterdir())) == 1
    async with database.transaction() as db:
        assert await closures.purge(db, ctx, NOW + timedelta(days=29)) == 0
    async with database.transaction() as db:
        assert await closures.purge(db, ctx, NOW + timedelta(days=31)) == 1
    assert list(folder.iterdir()) == []
    with pytest.raises(NotFound):
        async with database.transaction() as db:
            await closures.download(db, ctx, principal=ROOT, tenant_id="t-1", now=NOW)


async def test_the_export_goes_on_when_a_mark_never_comes(database: Database, ctx: Context) -> None:
    """Someone erased meanwhile leaves the data map: after ``MARKS_GRACE`` the export starts
    with the people the map holds, rather than wait for ever."""
    await people(database)
    async with database.transaction() as db:
        await closures.start(db, principal=ADMIN, tenant_id=None, confirm="t-1", now=NOW)
    await identity_answers(database, ctx, accounts=5)
    assert await step(database, ctx, NOW + timedelta(minutes=1)) == 0
    assert await step(database, ctx, NOW + closures.MARKS_GRACE + timedelta(seconds=1)) == 1
    assert len(await requests_of(database, "t-1")) == 2
    # Only identity answers for a tenant.
    async with database.transaction() as db:
        forged = Envelope(
            type=TENANT_CLOSED, source="orders", tenant="t-2", payload={"accounts": 1}
        )
        await handlers.on_tenant_closed(ctx, db, forged)
        assert await db.get(TenantClosure, "t-2") is None


async def test_a_mark_that_comes_after_the_export_is_erased_too(
    database: Database, ctx: Context
) -> None:
    """A data-map mark that arrives once the export is done (late, or sent again after a
    crash): that person is erased with the others, never left behind, and the report says
    they were not in the client's archive and how many accounts the map never named."""
    await people(database)
    async with database.transaction() as db:
        await closures.start(db, principal=ADMIN, tenant_id=None, confirm="t-1", now=NOW)
    await identity_answers(database, ctx, accounts=4)
    later = NOW + closures.MARKS_GRACE + timedelta(seconds=1)
    while await step(database, ctx, later) or await answer_everything(database, ctx, later):
        if (await closure_of(database)).status == "erasing":
            break
    assert (await closure_of(database)).status == "erasing"
    async with database.transaction() as db:  # u-3's mark, late
        db.add(make_map_entry("u-3", "identity", ["identity"]))
    while await step(database, ctx, later) or await answer_everything(database, ctx, later):
        pass
    closure = await closure_of(database)
    assert closure.status == "completed"
    erased = {r.subject_key for r in await requests_of(database, "t-1") if r.type == "erasure"}
    assert len(erased) == 3  # u-1, u-2 and the late u-3
    assert closure.report is not None
    assert closure.report["people"] == 3
    assert closure.report["erased_without_export"] == 1
    assert closure.report["accounts_not_found"] == 1
