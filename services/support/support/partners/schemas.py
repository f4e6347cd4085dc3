"""Request and response bodies of the partner listing requests. Unknown fields are refused
(422)."""

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, StringConstraints

from kit.schemas import CleanText, Line, Strict, text
from support.partners.models import Decision

#: ``Decision``'s values as a literal (a 422 of type ``literal_error`` for another one).
DecisionValue = Literal["accepted", "rejected", "contacted"]
assert set(get_args(DecisionValue)) == set(Decision)

Message = Annotated[str, text(5000, lines=True)]
Note = Annotated[str, text(2000, lines=True)]
Email = Annotated[
    CleanText, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ().-]{5,28}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")]


class PartnerApply(Strict):
    """The public form: a business asks a tenant to list it."""

    tenant: Slug
    company: Line
    contact_name: Line
    contact_email: Email
    contact_phone: Phone | None = None
    message: Message


class PartnerReview(Strict):
    status: DecisionValue
    note: Note | None = None


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
