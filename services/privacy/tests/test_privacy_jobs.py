"""The deadlines the monitoring alerts on, as privacy's worker publishes them every minute."""

import math
from datetime import timedelta

from prometheus_client import REGISTRY

from kit.db import Database
from privacy.jobs import deadline_gauges
from privacy.requests.models import RequestStatus, RequestType
from services.privacy.tests.factories import NOW, make_breach, make_request


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_open_requests_their_earliest_due_date_and_the_breach_deadline(
    database: Database,
) -> None:
    async with database.transaction() as db:
        db.add(make_request(due_at=NOW + timedelta(days=9)))
        db.add(
            make_request(due_at=NOW + timedelta(days=2), extended_due_at=NOW + timedelta(days=40))
        )
        db.add(make_request(due_at=NOW + timedelta(days=1), status=RequestStatus.COMPLETED))
        db.add(make_request(type=RequestType.ERASURE, due_at=NOW + timedelta(days=5)))
        db.add(make_breach(aware_at=NOW - timedelta(hours=60)))
        db.add(make_breach(aware_at=NOW - timedelta(hours=100), authority_notified_at=NOW))
    async with database.transaction() as db:
        assert await deadline_gauges(db, NOW) == 0
    assert sample("dsr_open_requests", type="access") == 2  # the completed one is not open
    # The extension moved the second one's date: the first one is the earliest now.
    assert (
        sample("dsr_next_deadline_timestamp_seconds", type="access")
        == (NOW + timedelta(days=9)).timestamp()
    )
    assert (
        sample("dsr_next_deadline_timestamp_seconds", type="erasure")
        == (NOW + timedelta(days=5)).timestamp()
    )
    assert sample("dsr_open_requests", type="objection") == 0
    assert sample("dsr_next_deadline_timestamp_seconds", type="objection") == math.inf
    # 72 hours after awareness, for the breach not notified yet only.
    assert (
        sample("breach_next_notification_deadline_timestamp_seconds")
        == (NOW + timedelta(hours=12)).timestamp()
    )


async def test_nothing_open_is_an_infinite_deadline(database: Database) -> None:
    async with database.transaction() as db:
        await deadline_gauges(db, NOW)
    assert sample("dsr_open_requests", type="access") == 0
    assert sample("dsr_next_deadline_timestamp_seconds", type="access") == math.inf
    assert sample("breach_next_notification_deadline_timestamp_seconds") == math.inf
