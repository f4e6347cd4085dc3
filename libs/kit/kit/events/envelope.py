"""The envelope every event travels in: a past-tense fact about one subject in one tenant."""

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field


def _now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: str  # "user.created", "erasure.completed": past-tense facts
    version: int = 1
    occurred_at: datetime = Field(default_factory=_now)
    source: str
    tenant: str | None = None
    subject: str | None = None  # the person the event is about, by id
    request_id: str | None = None
    #: The W3C trace context of the request that wrote the event (``kit.tracing``): the consumer's
    #: span continues it. Random ids only; absent from older messages.
    traceparent: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
