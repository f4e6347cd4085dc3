"""Bodies of consents and newsletters."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from kit.schemas import Line, text


class ConsentPublic(BaseModel):
    purpose: str
    title: str
    notice: str
    notice_version: str
    granted: bool
    #: When the choice was made, and how (``web``, ``email-link``); None: never asked yet.
    at: str | None
    channel: str | None


class ConsentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    granted: bool


class ConsentEventPublic(BaseModel):
    purpose: str
    granted: bool
    notice_version: str
    channel: str
    at: str


class NewsletterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Line
    text: Annotated[str, text(20_000, lines=True)]


class NewsletterPublic(BaseModel):
    id: str
    subject: str
    recipients: int
    sent_at: str


class Unsubscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=16, max_length=128)]
