"""The worker's jobs on mandates: key rotation and lapse."""

from datetime import timedelta

from pydantic import SecretStr
from sqlalchemy import select

from kit.db import Database
from services.subsidies.tests.factories import NOW, make_mandate_in, make_person
from subsidies import jobs
from subsidies.config import Settings
from subsidies.context import Context
from subsidies.mandates import fields
from subsidies.mandates.models import Mandate
from subsidies.mandates.service import add_mandate, masked


async def test_key_rotation_re_encrypts_every_mandate_without_losing_one(
    database: Database, context: Context
) -> None:
    async with database.transaction() as db:
        await add_mandate(
            db, cipher=context.cipher, principal=make_person(), data=make_mandate_in(), now=NOW
        )
    rotated = Settings(
        field_key=SecretStr("a new key"),
        field_key_id="k2",
        retired_field_keys={"k1": Settings().field_key},
    )
    cipher = fields.field_cipher(rotated)
    rotate_batch = jobs.key_rotation(cipher)
    async with database.transaction() as db:
        assert await rotate_batch(db, NOW) == 1
    async with database.transaction() as db:
        assert await rotate_batch(db, NOW) == 0
        mandate = (await db.scalars(select(Mandate))).one()
        assert mandate.iban.startswith("k2:") and mandate.holder.startswith("k2:")
        assert masked(cipher, mandate)["iban"] == "FR76 **** **** 0189"


async def test_a_mandate_unused_for_36_months_lapses(database: Database, context: Context) -> None:
    async with database.transaction() as db:
        mandate = await add_mandate(
            db, cipher=context.cipher, principal=make_person(), data=make_mandate_in(), now=NOW
        )
        mandate.last_collection_at = NOW
    lapse = jobs.lapse_job(Settings())
    async with database.transaction() as db:
        assert await lapse(db, NOW + timedelta(days=35 * 30)) == 0
        assert await lapse(db, NOW + timedelta(days=37 * 30)) == 1
        assert (await db.scalars(select(Mandate.status))).one() == "lapsed"
