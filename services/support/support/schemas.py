"""Request and response bodies of the support service. Unknown fields are refused (422)."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

from kit.schemas import CleanText, Line, text

#: A message: 5,000 characters at most, over several lines.
Body = Annotated[str, text(5000, lines=True)]
Note = Annotated[str, text(2000, lines=True)]
Email = Annotated[
    CleanText, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ().-]{5,28}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")]

Status = Literal["open", "pending", "resolved", "closed"]
Level = Literal["N1", "N2", "N3"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketCreate(Strict):
    subject: Line
    message: Body


class MessageCreate(Strict):
    body: Body


class TicketUpdate(Strict):
    """Any of the three; ``assignee_id: null`` takes the ticket off its agent."""

    status: Status | None = None
    level: Level | None = None
    assignee_id: UUID | None = None


class PartnerApply(Strict):
    """The public form: a business asks a tenant to list it."""

    tenant: Slug
    company: Line
    contact_name: Line
    contact_email: Email
    contact_phone: Phone | None = None
    message: Body


class PartnerReview(Strict):
    status: Literal["accepted", "rejected", "contacted"]
    note: Note | None = None


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


class PartnerRequestPublic(BaseModel):
    id: str
    company: str
    contact_name: str
    contact_email: str
    contact_phone: str | None
    message: str
    status: str
    note: str | None
    received_at: datetime
    last_contact_at: datetime
