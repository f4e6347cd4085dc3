"""Mails other services ask identity to send to accounts by id (``account.mail``)."""

from identity.accounts.models import User
from identity.handlers import mail_accounts
from identity.models import subject_data
from kit.db import Database
from kit.events import Envelope
from kit.mail import MAIL
from kit.privacy.protocol import ACCOUNT_MAIL
from services.identity.tests.factories import NOW, add_tenant, add_user, outbox


def account_mail(tenant: str, *ids: str, **flags: bool) -> Envelope:
    payload = {
        "subject": "Subject",
        "text": "Text",
        "marketing": False,
        "recipients": [{"subject": i, "footer": None} for i in ids],
    }
    return Envelope(type=ACCOUNT_MAIL, source="privacy", tenant=tenant, payload=payload | flags)


async def addressees(database: Database) -> list[str]:
    return sorted(e["payload"]["to"] for e in await outbox(database, MAIL))


async def accounts(database: Database) -> tuple[str, User, User]:
    tenant = await add_tenant(database)
    active = await add_user(database, tenant.id, "active@demo.test")
    gone = await add_user(database, tenant.id, "deactivated@demo.test", is_active=False)
    return tenant.id, active, gone


async def test_a_plain_mail_reaches_active_accounts_only(database: Database) -> None:
    tenant, active, gone = await accounts(database)
    async with database.transaction() as db:
        await mail_accounts(db, account_mail(tenant, active.id, gone.id))
    assert await addressees(database) == ["active@demo.test"]


async def test_a_breach_notice_reaches_deactivated_accounts_too(database: Database) -> None:
    """Art. 34: everyone whose data was hit is told, a deactivated account as well."""
    tenant, active, gone = await accounts(database)
    async with database.transaction() as db:
        await mail_accounts(db, account_mail(tenant, active.id, gone.id, deactivated_too=True))
    assert await addressees(database) == ["active@demo.test", "deactivated@demo.test"]


async def test_no_account_of_another_tenant_is_mailed(database: Database) -> None:
    _tenant, active, _gone = await accounts(database)
    other = await add_tenant(database, slug="other", name="Other")
    async with database.transaction() as db:
        await mail_accounts(db, account_mail(other.id, active.id, deactivated_too=True))
    assert await addressees(database) == []


async def test_a_marketing_mail_skips_restricted_and_objecting_people(
    database: Database,
) -> None:
    """Art. 18 (the privacy policy's own example: no newsletter while restricted) and
    Art. 21(3); a mail that is not marketing (a breach notice) still reaches them."""
    tenant, active, _gone = await accounts(database)
    frozen = await add_user(database, tenant, "frozen@demo.test")
    objecting = await add_user(database, tenant, "objecting@demo.test")
    async with database.transaction() as db:
        await subject_data.restrict(db, frozen.id, request_id="r-1", now=NOW)
        await subject_data.object(db, objecting.id, request_id="r-2", now=NOW)
    everyone = (active.id, frozen.id, objecting.id)
    async with database.transaction() as db:
        await mail_accounts(db, account_mail(tenant, *everyone, marketing=True))
    assert await addressees(database) == ["active@demo.test"]
    async with database.transaction() as db:
        await mail_accounts(db, account_mail(tenant, *everyone))
    assert await addressees(database) == [
        "active@demo.test",
        "active@demo.test",
        "frozen@demo.test",
        "objecting@demo.test",
    ]
    # Lifted (Art. 18(3)): the next newsletter reaches the person again.
    async with database.transaction() as db:
        await subject_data.lift(db, frozen.id)
        await mail_accounts(db, account_mail(tenant, *everyone, marketing=True))
    assert (await addressees(database)).count("frozen@demo.test") == 2
