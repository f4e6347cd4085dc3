"""Request and response bodies of the tickets. Unknown fields are refused (422)."""

from datetime import datetime
from typing import Annotated, Literal, get_args
from uuid import UUID

from pydantic import BaseModel

from kit.schemas import Line, Strict, text
from support.tickets.models import Level, TicketStatus

#: The statuses and levels as literals: another value stays a 422 of type ``literal_error``, as
#: the API has always answered (an enum field would say ``enum``).
StatusValue = Literal["open", "pending", "resolved", "closed"]
LevelValue = Literal["N1", "N2", "N3"]
assert set(get_args(StatusValue)) == set(TicketStatus)
assert set(get_args(LevelValue)) == set(Level)

#: A message: 5,000 characters at most, over several lines.
Body = Annotated[str, text(5000, lines=True)]


class TicketCreate(Strict):
    subject: Line
    message: Body


class MessageCreate(Strict):
    body: Body


class TicketUpdate(Strict):
    """Any of the three; ``assignee_id: null`` takes the ticket off its agent."""

    status: StatusValue | None = None
    level: LevelValue | None = None
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
