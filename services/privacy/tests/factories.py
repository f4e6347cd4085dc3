"""Test data of the privacy service: plain functions with sensible defaults, any field
overridden by keyword."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from kit.auth import Principal
from kit.db import Database
from kit.privacy.protocol import ACCOUNT_MAIL
from privacy.base import events
from privacy.breaches.models import Breach
from privacy.datamap.models import DataMapEntry
from privacy.processors.models import Processor
from privacy.requests.models import Channel, Request, RequestStatus, RequestType
from privacy.requests.service import add_months

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def make_principal(
    tenant_id: str = "t-1", *roles: str, user_id: str | None = None, tenant: str | None = None
) -> Principal:
    """Someone signed in to ``tenant_id`` with ``roles``; by default named after them."""
    return Principal(
        user_id=user_id or f"{tenant_id}-{'-'.join(roles)}",
        tenant_id=tenant_id,
        tenant=tenant or tenant_id,
        roles=frozenset(roles),
        session_id="s",
    )


def make_request(**fields: Any) -> Request:
    """An access request in progress, received at ``NOW``, due a month later."""
    received = fields.pop("received_at", NOW)
    values: dict[str, Any] = {
        "tenant_id": "t",
        "subject": "u",
        "type": RequestType.ACCESS,
        "status": RequestStatus.IN_PROGRESS,
        "channel": Channel.SELF_SERVICE,
        "received_at": received,
        "due_at": add_months(received, 1),
    }
    return Request(**(values | fields))


def request_row(
    *, tenant: str, subject: str, received: datetime, status: str, extended: int = 0
) -> dict[str, Any]:
    """A row of ``requests`` for a bulk insert: an access request due 30 days after it was
    received, ``extended`` by as many more 30 days."""
    due = received + timedelta(days=30)
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant,
        "subject": subject,
        "type": RequestType.ACCESS,
        "status": status,
        "channel": Channel.SELF_SERVICE,
        "received_at": received,
        "due_at": due,
        "extended_due_at": due + timedelta(days=30 * extended) if extended else None,
    }


def make_map_entry(
    subject: str, service: str, categories: list[str], **fields: Any
) -> DataMapEntry:
    """``service`` holds ``categories`` on ``subject`` (tenant ``t-1``, mapped at ``NOW``)."""
    values: dict[str, Any] = {"tenant_id": "t-1", "updated_at": NOW}
    return DataMapEntry(
        subject=subject, service=service, categories=categories, **(values | fields)
    )


def make_breach(**fields: Any) -> Breach:
    """A breach of support data, recorded at ``NOW``, nobody affected."""
    values: dict[str, Any] = {
        "tenant_id": "t-1",
        "reported_by": "x",
        "aware_at": NOW,
        "recorded_at": NOW,
        "nature": "n",
        "services": ["support"],
        "categories": ["c"],
        "approx_people": 0,
        "approx_records": 0,
        "consequences": "c",
        "measures": "m",
        "encrypted": False,
    }
    return Breach(**(values | fields))


def make_processor(**fields: Any) -> Processor:
    """One of the platform's processors, in France, added at ``NOW``."""
    values: dict[str, Any] = {
        "name": "Hosting provider",
        "role": "hosting",
        "data_categories": ["everything"],
        "location": "FR",
        "safeguard": None,
        "created_at": NOW,
    }
    return Processor(**(values | fields))


async def account_mails(database: Database) -> list[dict[str, Any]]:
    """The ``account.mail`` events in the outbox (mails identity sends to accounts): each
    envelope and its routing key (``key``)."""
    async with database.transaction() as db:
        rows = await db.execute(
            select(events.outbox.c.routing_key, events.outbox.c.body).where(
                events.outbox.c.type == ACCOUNT_MAIL
            )
        )
        return [{"key": key, **json.loads(body)} for key, body in rows.all()]
