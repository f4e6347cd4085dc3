"""A command left unanswered is sent again: after ``retry_seconds``, then twice as long each
time, so that after an outage a backlog is not sent again on every pass of the worker."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kit.db import Database
from privacy.config import Settings
from privacy.context import Context
from privacy.models import Request
from privacy.requests import commands, repository, service
from privacy.requests.models import RequestType

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RETRY = 10.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path, retry_seconds=RETRY)


async def open_access_request(database: Database, ctx: Context) -> str:
    async with database.transaction() as db:
        request = await service.open_request(
            db, ctx, tenant_id="t-1", subject="u-1", request_type=RequestType.ACCESS, now=NOW
        )
        return request.id


async def retry_at(database: Database, ctx: Context, seconds: float) -> int:
    async with database.transaction() as db:
        return await commands.retry_waiting(db, ctx, NOW + timedelta(seconds=seconds))


async def test_unanswered_commands_are_sent_again_less_and_less_often(
    database: Database, ctx: Context
) -> None:
    request_id = await open_access_request(database, ctx)
    async with database.transaction() as db:
        tasks = len(await repository.tasks_of(db, request_id))
    assert tasks >= 4
    # Sent at 0: again after 10 s (not before), then 20 s after that, then 40 s.
    assert await retry_at(database, ctx, 9) == 0
    assert await retry_at(database, ctx, 11) == tasks
    assert await retry_at(database, ctx, 22) == 0
    assert await retry_at(database, ctx, 32) == tasks
    assert await retry_at(database, ctx, 70) == 0
    assert await retry_at(database, ctx, 73) == tasks
    async with database.transaction() as db:
        assert {t.attempts for t in await repository.tasks_of(db, request_id)} == {4}
    # From the sixth send on, every 32 x 10 s.
    seconds = 73.0
    for gap in (80, 160, 320):
        seconds += gap + 1
        assert await retry_at(database, ctx, seconds) == tasks
    assert await retry_at(database, ctx, seconds + 319) == 0
    assert await retry_at(database, ctx, seconds + 321) == tasks


async def answer(database: Database, request_id: str, service_name: str, seconds: float) -> None:
    async with database.transaction() as db:
        for task in await repository.tasks_of(db, request_id):
            if task.service == service_name:
                task.status, task.answered_at = "done", NOW + timedelta(seconds=seconds)


async def file_at(database: Database, ctx: Context, seconds: float) -> str:
    async with database.transaction() as db:
        request = await service.open_request(
            db,
            ctx,
            tenant_id="t-1",
            subject=f"u-{seconds}",
            request_type=RequestType.ACCESS,
            now=NOW + timedelta(seconds=seconds),
        )
        return request.id


async def attempts(database: Database, request_id: str) -> dict[str, int]:
    async with database.transaction() as db:
        return {t.service: t.attempts for t in await repository.tasks_of(db, request_id)}


async def test_a_busy_service_is_not_sent_copies_of_what_it_has_not_reached(
    database: Database, ctx: Context
) -> None:
    """identity answers the command of 0 s at 5 s: it is alive, working through its queue;
    at 12 s the command of 1 s is still behind the backlog, not sent again. The services
    that answered nothing get theirs again. Once identity is silent for 10 s, it gets it too."""
    first, second = await file_at(database, ctx, 0), await file_at(database, ctx, 1)
    await answer(database, first, "identity", 5)
    await retry_at(database, ctx, 12)
    sent = await attempts(database, second)
    assert sent.pop("identity") == 1
    assert set(sent.values()) == {2}, sent
    await retry_at(database, ctx, 16)
    assert (await attempts(database, second))["identity"] == 2


async def test_a_command_that_a_later_one_overtook_is_sent_again(
    database: Database, ctx: Context
) -> None:
    """identity answered the command of 1 s but not the one of 0 s: that one was lost."""
    first, second = await file_at(database, ctx, 0), await file_at(database, ctx, 1)
    await answer(database, second, "identity", 5)
    await retry_at(database, ctx, 11)
    assert (await attempts(database, first))["identity"] == 2


async def test_a_completed_request_is_never_sent_again(database: Database, ctx: Context) -> None:
    request_id = await open_access_request(database, ctx)
    async with database.transaction() as db:
        found = await db.get(Request, request_id)
        assert found is not None
        found.status = "completed"
    assert await retry_at(database, ctx, 3600) == 0


async def test_a_filing_sent_again_finds_the_first_request(
    database: Database, ctx: Context
) -> None:
    """A client whose answer was lost (a service killed after the commit) sends the same
    filing again with the same Idempotency-Key: it gets the first request, even completed."""
    key = service.retry_key("dpo-1", "client-key-1")

    async def file(client_key: str | None) -> str:
        async with database.transaction() as db:
            request = await service.open_request(
                db,
                ctx,
                tenant_id="t-1",
                subject="u-1",
                request_type=RequestType.ACCESS,
                now=NOW,
                idempotency_key=client_key,
            )
            return request.id

    first = await file(key)
    async with database.transaction() as db:
        found = await db.get(Request, first)
        assert found is not None
        found.status = "completed"
    assert await file(key) == first
    # Another key, or the same key from someone else, is another filing.
    assert await file(service.retry_key("dpo-1", "client-key-2")) != first
    assert await file(service.retry_key("dpo-2", "client-key-1")) != first
    assert await file(None) != first
    assert service.retry_key("dpo-1", None) is None
    assert key is not None and len(key) == 64 and "client-key-1" not in key
