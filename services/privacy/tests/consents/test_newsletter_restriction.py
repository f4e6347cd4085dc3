"""Art. 18 (the privacy policy's own example): while a person's data is restricted, no
newsletter reaches them, even with their consent; once the DPO lifts it, they get it again.
Identity skips them as well (``services/identity/tests/accounts/test_account_mail.py``)."""

import uuid
from datetime import timedelta

from kit.db import Database
from kit.privacy.protocol import Action
from privacy.config import Settings
from privacy.consents import service as consents
from privacy.requests.models import RequestStatus, RequestType, Task, TaskStatus
from services.privacy.tests.factories import NOW, account_mails, make_principal, make_request

ADMIN = make_principal("t-1", "tenant_admin")


async def consented(database: Database, *people: str) -> None:
    async with database.transaction() as db:
        for person in people:
            await consents.set_consent(
                db,
                subject=person,
                tenant_id="t-1",
                purpose="newsletter",
                granted=True,
                channel="web",
                now=NOW,
            )


async def send(database: Database, settings: Settings) -> list[str]:
    """Send a newsletter: the people its mail was addressed to."""
    subject_line = f"News {uuid.uuid4()}"
    async with database.transaction() as db:
        letter = await consents.send_newsletter(
            db, settings, admin=ADMIN, subject_line=subject_line, text="Hello", now=NOW
        )
    [payload] = [
        m["payload"]
        for m in await account_mails(database)
        if m["payload"]["subject"] == subject_line
    ]
    assert payload["marketing"] is True
    people = [r["subject"] for r in payload["recipients"]]
    assert letter.recipients == len(people)
    return people


async def test_no_newsletter_while_restricted(database: Database, settings: Settings) -> None:
    await consented(database, "u-free", "u-frozen", "u-filed")
    async with database.transaction() as db:
        frozen = make_request(
            tenant_id="t-1",
            subject="u-frozen",
            type=RequestType.RESTRICTION,
            status=RequestStatus.COMPLETED,
        )
        # Asked for and under way: the services are freezing the data already.
        filed = make_request(
            tenant_id="t-1",
            subject="u-filed",
            type=RequestType.RESTRICTION,
            status=RequestStatus.IN_PROGRESS,
        )
        # Another tenant's restriction of the same id changes nothing here.
        elsewhere = make_request(
            tenant_id="t-2",
            subject="u-free",
            type=RequestType.RESTRICTION,
            status=RequestStatus.COMPLETED,
        )
        db.add_all([frozen, filed, elsewhere])
    assert await send(database, settings) == ["u-free"]
    # The DPO lifts the restriction (Art. 18(3)): the next newsletter reaches the person.
    async with database.transaction() as db:
        db.add(
            Task(
                request_id=frozen.id,
                service="identity",
                action=Action.LIFT_RESTRICTION.value,
                phase=2,
                status=TaskStatus.DONE,
                attempts=1,
                answered_at=NOW + timedelta(days=1),
            )
        )
    assert await send(database, settings) == ["u-free", "u-frozen"]


async def test_a_failed_restriction_does_not_stop_the_newsletter(
    database: Database, settings: Settings
) -> None:
    await consented(database, "u-1")
    async with database.transaction() as db:
        db.add(
            make_request(
                tenant_id="t-1",
                subject="u-1",
                type=RequestType.RESTRICTION,
                status=RequestStatus.REJECTED,
            )
        )
    assert await send(database, settings) == ["u-1"]
