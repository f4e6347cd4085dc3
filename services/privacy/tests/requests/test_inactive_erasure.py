"""An account identity closed for inactivity is erased through a request like any other,
opened once, and marked as opened for inactivity rather than by the person."""

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kit.db import Database
from kit.events import Envelope
from kit.privacy.protocol import COMMAND
from privacy import handlers
from privacy.context import Context
from privacy.models import Forgotten, Request, events, subject_data
from privacy.requests import repository, service
from privacy.requests.models import RequestType

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TENANT, SUBJECT = "t-1", "u-1"


async def erase(database: Database, ctx: Context, when: datetime = NOW) -> Request | None:
    async with database.transaction() as db:
        return await service.erase_closed_account(
            db, ctx, tenant_id=TENANT, subject=SUBJECT, now=when
        )


async def test_an_inactive_account_gets_one_erasure_request(
    database: Database, ctx: Context
) -> None:
    opened = await erase(database, ctx)
    assert opened is not None
    assert (opened.type, opened.status, opened.channel) == ("erasure", "in_progress", "inactivity")
    assert opened.filed_by is None and opened.identity_check is None
    async with database.transaction() as db:
        tasks = await repository.tasks_of(db, opened.id)
        commands = [
            json.loads(r.body)
            for r in await db.execute(select(events.outbox).where(events.outbox.c.type == COMMAND))
        ]
    # The same plan as a request the person files: sessions first, the account last.
    assert {(t.phase, t.service, t.action) for t in tasks} >= {
        (1, "identity", "revoke_sessions"),
        (1, "orders", "erase"),
        (2, "identity", "erase"),
    }
    assert {c["payload"]["action"] for c in commands} == {"revoke_sessions", "erase"}
    # Asked again (the job ran again, an event came twice): nothing more, even once it ended.
    assert await erase(database, ctx, NOW + timedelta(hours=1)) is None
    async with database.transaction() as db:
        found = await db.get(Request, opened.id)
        assert found is not None
        found.status = "failed"
    assert await erase(database, ctx, NOW + timedelta(days=1)) is None
    async with database.transaction() as db:
        assert len(await repository.requests_of(db, tenant_id=TENANT, subject=SUBJECT)) == 1


async def test_nothing_is_opened_for_a_person_already_erased(
    database: Database, ctx: Context
) -> None:
    async with database.transaction() as db:
        db.add(
            Forgotten(
                subject_key=subject_data.subject_key(SUBJECT),
                tenant_id=TENANT,
                request_id="r",
                erased_at=NOW,
            )
        )
    assert await erase(database, ctx) is None


async def test_an_erasure_the_person_asked_for_is_not_doubled(
    database: Database, ctx: Context
) -> None:
    async with database.transaction() as db:
        mine = await service.open_request(
            db, ctx, tenant_id=TENANT, subject=SUBJECT, request_type=RequestType.ERASURE, now=NOW
        )
    opened = await erase(database, ctx)
    assert opened is not None and opened.id == mine.id and opened.channel == "self-service"


async def test_the_worker_listens_for_identitys_inactive_accounts(
    database: Database, ctx: Context
) -> None:
    assert "account.inactive.privacy" in (handlers.subscription(ctx).bindings or [])

    def envelope(source: str) -> Envelope:
        return Envelope(
            type="account.inactive", source=source, tenant=TENANT, subject=SUBJECT, payload={}
        )

    async with database.transaction() as db:
        await handlers.on_account_inactive(ctx, db, envelope("support"))  # not the account service
        assert await repository.requests_of(db, tenant_id=TENANT, subject=SUBJECT) == []
        await handlers.on_account_inactive(ctx, db, envelope("identity"))
        [request] = await repository.requests_of(db, tenant_id=TENANT, subject=SUBJECT)
        assert request.channel == "inactivity"
