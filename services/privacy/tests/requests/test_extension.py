"""Art. 12(3): the DPO extends a request's deadline by up to two months, only within its first
month, and the person is mailed the new date and the reason; the deadline shown and the overdue
flag follow the extended date to the second."""

from datetime import UTC, datetime, timedelta

import pytest

from kit.db import Database
from kit.errors import Conflict
from privacy.context import Context
from privacy.models import Request
from privacy.requests import service
from privacy.requests.schemas import public
from services.privacy.tests.factories import account_mails, make_principal, make_request

RECEIVED = datetime(2027, 1, 31, 9, 30, tzinfo=UTC)
#: A month after the 31 January: the last day of February (``add_months``).
DUE = datetime(2027, 2, 28, 9, 30, tzinfo=UTC)
#: Two more months after the first deadline.
EXTENDED = datetime(2027, 4, 28, 9, 30, tzinfo=UTC)
DPO = make_principal("t-1", "dpo")
SECOND = timedelta(seconds=1)


async def filed(database: Database) -> Request:
    async with database.transaction() as db:
        request = make_request(tenant_id="t-1", subject="u-1", received_at=RECEIVED)
        db.add(request)
    return request


async def extend(
    database: Database, ctx: Context, request: Request, now: datetime, months: int = 2
) -> Request:
    async with database.transaction() as db:
        return await service.extend(
            db,
            ctx,
            principal=DPO,
            request_id=request.id,
            months=months,
            reason="Many services to search",
            now=now,
        )


async def test_the_deadline_is_a_month_then_two_more_to_the_second(
    database: Database, ctx: Context
) -> None:
    request = await filed(database)
    assert request.due_at == DUE
    assert public(request, [], None, now=DUE).overdue is False
    assert public(request, [], None, now=DUE + SECOND).overdue is True
    extended = await extend(database, ctx, request, now=DUE - timedelta(days=1))
    assert extended.extended_due_at == EXTENDED
    shown = public(extended, [], None, now=DUE + SECOND)
    assert shown.due_at == EXTENDED and shown.overdue is False
    assert shown.extension_reason == "Many services to search"
    assert public(extended, [], None, now=EXTENDED).overdue is False
    assert public(extended, [], None, now=EXTENDED + SECOND).overdue is True
    # Answered in time, never overdue afterwards.
    extended.status = "completed"
    assert public(extended, [], None, now=EXTENDED + timedelta(days=30)).overdue is False


async def test_the_person_is_mailed_the_new_date_and_the_reason(
    database: Database, ctx: Context
) -> None:
    request = await filed(database)
    await extend(database, ctx, request, now=RECEIVED + timedelta(days=3), months=1)
    [mail] = await account_mails(database)
    payload = mail["payload"]
    assert isinstance(payload, dict) and mail["tenant"] == "t-1"
    assert payload["recipients"] == [{"subject": "u-1", "footer": None}]
    assert payload["marketing"] is False
    text = str(payload["text"])
    assert text.count("2027-03-28") == 2  # French, then English: a month after 28 February
    assert text.count("Many services to search") == 2
    assert "12(3)" in text


async def test_a_late_extension_is_refused_and_changes_nothing(
    database: Database, ctx: Context
) -> None:
    request = await filed(database)
    with pytest.raises(Conflict, match=r"deadline has passed.*Art\. 12\(3\)"):
        await extend(database, ctx, request, now=DUE + SECOND)
    async with database.transaction() as db:
        found = await db.get(Request, request.id)
        assert found is not None
        assert found.extended_due_at is None and found.extension_reason is None
    assert await account_mails(database) == []
    # At the deadline itself, it is still in time.
    assert (await extend(database, ctx, request, now=DUE)).extended_due_at == EXTENDED


async def test_a_request_is_extended_once(database: Database, ctx: Context) -> None:
    request = await filed(database)
    await extend(database, ctx, request, now=RECEIVED, months=1)
    with pytest.raises(Conflict, match="once"):
        await extend(database, ctx, request, now=RECEIVED, months=1)
    assert len(await account_mails(database)) == 1
