"""Bank details: validation, encryption bound to row and field, masking, and retention on
erasure."""

from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from kit.db import Database
from kit.errors import Invalid
from services.subsidies.tests.factories import IBAN, NOW, make_mandate_in, make_person
from subsidies.context import Context
from subsidies.mandates import fields, service
from subsidies.mandates.models import Mandate
from subsidies.models import subject_data


@pytest.mark.parametrize(
    "iban,bic",
    [
        ("FR76 3000 6000 0112 3456 7890 188", "BNPAFRPP"),  # checksum
        ("FR76 3000 6000 0112 3456 7890", "BNPAFRPP"),  # length
        ("not an iban", "BNPAFRPP"),
        (IBAN, "BNP"),
        (IBAN, "BNPAFRPP1"),
    ],
)
async def test_bad_bank_details_are_refused_without_quoting_them(
    database: Database, context: Context, iban: str, bic: str
) -> None:
    async with database.transaction() as db:
        with pytest.raises(Invalid) as refused:
            await service.add_mandate(
                db,
                cipher=context.cipher,
                principal=make_person(),
                data=make_mandate_in(iban=iban, bic=bic),
                now=NOW,
            )
    assert iban.replace(" ", "")[4:] not in str(refused.value.detail)
    async with database.transaction() as db:
        assert (await db.scalars(select(Mandate))).all() == []


async def test_bank_details_are_encrypted_bound_to_row_and_field_and_masked(
    database: Database, context: Context
) -> None:
    cipher = context.cipher
    async with database.transaction() as db:
        first = await service.add_mandate(
            db,
            cipher=cipher,
            principal=make_person(),
            data=make_mandate_in(bic="bnpafrpp"),
            now=NOW,
        )
        second = await service.add_mandate(
            db, cipher=cipher, principal=make_person(), data=make_mandate_in(), now=NOW
        )
        shown = service.masked(cipher, first)
    assert shown == {"holder": "A. L.", "iban": "FR76 **** **** 0189", "bic": "BNPA****"}
    assert first.iban.startswith("k1:") and first.iban.isascii()  # text any database stores
    assert "30006000011234567890" not in first.iban
    assert first.iban != second.iban  # a fresh nonce each time
    with pytest.raises(InvalidTag):  # another row's ciphertext does not open here
        fields.decrypt(cipher, "mandates", first.id, "iban", second.iban)
    with pytest.raises(InvalidTag):  # nor another field's
        fields.decrypt(cipher, "mandates", first.id, "iban", first.bic)
    async with database.transaction() as db:
        exported = await subject_data.export(db, "u-1")
    assert {m["iban"] for m in exported["mandates"]} == {IBAN.replace(" ", "")}


async def test_erasure_keeps_a_used_mandate_13_months_encrypted(
    database: Database, context: Context
) -> None:
    async with database.transaction() as db:
        used = await service.add_mandate(
            db, cipher=context.cipher, principal=make_person(), data=make_mandate_in(), now=NOW
        )
        used.last_collection_at = NOW
        await service.add_mandate(  # never used: nothing the law needs
            db, cipher=context.cipher, principal=make_person(), data=make_mandate_in(), now=NOW
        )
    async with database.transaction() as db:
        report = {
            t.table: t for t in await subject_data.erase(db, "u-1", now=NOW + timedelta(days=1))
        }
        archived = (await db.execute(select(subject_data.archive.c.data))).scalars().all()
    assert report["mandates"].erased_rows == 2 and report["mandates"].kept_rows == 1
    assert (
        report["mandates"].kept_until == (NOW.replace(year=2027) + timedelta(days=31)).isoformat()
    )
    assert "0189" not in archived[0] and '"iban": "k1:' in archived[0]
