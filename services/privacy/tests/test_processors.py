"""Processors (PR9): the EU/EEA rule, ISO codes, and the three defaults written once."""

from datetime import UTC, datetime, timedelta

import pytest

from kit.db import Database
from kit.errors import Invalid, NotFound
from privacy import processors

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_the_eu_and_the_eea_need_nothing_more() -> None:
    assert len(processors.EU_EEA) == 30  # the 27, Iceland, Liechtenstein, Norway
    for code in ("FR", "DE", "IE", "GR", "HR", "IS", "LI", "NO"):
        assert processors.check_location(code, None) == code
    assert processors.check_location(" fr ", None) == "FR"
    assert not processors.in_eea("CH") and not processors.in_eea("GB")


@pytest.mark.parametrize("code", ["US", "CH", "GB", "IN", "us"])
def test_elsewhere_needs_a_safeguard(code: str) -> None:
    for missing in (None, "", "   "):
        with pytest.raises(Invalid, match=r"outside the EU/EEA.*safeguard"):
            processors.check_location(code, missing)
    assert processors.check_location(code, "standard contractual clauses (2021/914)") == (
        code.upper()
    )


@pytest.mark.parametrize("code", ["ZZ", "UK", "EL", "XK", "F1", "  "])
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(Invalid, match="ISO 3166"):
        processors.check_location(code, "standard contractual clauses")


async def test_defaults_are_written_once_then_the_dpo_keeps_the_list(
    database: Database,
) -> None:
    async with database.transaction() as db:
        first = await processors.list_processors(db, NOW)
        assert [p.name for p in first] == [d.name for d in processors.DEFAULTS]
        assert all(p.location == "FR" and p.safeguard is None for p in first)
    async with database.transaction() as db:
        await processors.seed_defaults(db, NOW)  # a second first read at once: nothing more
        assert len(await processors.list_processors(db, NOW)) == 3
        added = await processors.add(
            db,
            name="Analytics Inc.",
            role="usage statistics",
            data_categories=["connection data"],
            location="us",
            safeguard="EU-US Data Privacy Framework (adequacy decision 2023/1795)",
            now=NOW + timedelta(seconds=1),
        )
        assert added.location == "US"
        await processors.remove(db, first[0].id)
    async with database.transaction() as db:
        names = [p.name for p in await processors.list_processors(db, NOW)]
        assert names == ["Email relay", "Payment provider", "Analytics Inc."]
        with pytest.raises(NotFound):
            await processors.remove(db, first[0].id)


async def test_a_refused_processor_is_not_stored(database: Database) -> None:
    async with database.transaction() as db:
        with pytest.raises(Invalid):
            await processors.add(
                db,
                name="Cloud",
                role="hosting",
                data_categories=["everything"],
                location="US",
                safeguard=None,
                now=NOW,
            )
    async with database.transaction() as db:
        assert len(await processors.list_processors(db, NOW)) == 3
