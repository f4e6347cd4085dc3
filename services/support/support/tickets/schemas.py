"""Request and response bodies of the tickets. Unknown fields are refused (422)."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from kit.schemas import Line, text
from support.tickets.models import Level, TicketStatus

#: A message: 5,000 characters at most, over several lines.
Body = Annotated[str, text(5000, lines=True)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketCreate(Strict):
    subject: Line
    message: Body


class MessageCreate(Strict):
    body: Body


class TicketUpdate(Strict):
    """Any of the three; ``assignee_id: null`` takes the ticket off its agent."""

    status: TicketStatus | None = None
    level: Level | None = None
    assignee_id: UUID | None = None


class MessagePublic(BaseModel):
    id: str
    author_role: str
    #: Shown to agents only (an employee sees who wrote by ``author_role``).
    author_id: str | None
    body: str
    created_at: datetime


class TicketPublic(BaseModel):
    id: str
    subject: str
    status: str
    level: str
    requester_id: str
    #: Shown to agents only.
    assignee_id: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class TicketDetail(TicketPublic):
    #: The conversation's first page (oldest first, at most ``kit.pagination.DEFAULT_LIMIT``).
    messages: list[MessagePublic]
    #: Set when the conversation goes on past ``messages``: the cursor of
    #: ``GET /api/tickets/{id}/messages`` for the rest.
    messages_next_cursor: str | None = None
