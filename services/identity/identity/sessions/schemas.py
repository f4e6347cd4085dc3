"""What the person's list of sessions shows."""

from pydantic import BaseModel


class SessionPublic(BaseModel):
    id: str
    #: "Firefox on Linux".
    device: str | None
    #: The network of the login (a /24 or /48), never the full address.
    network: str | None
    #: When it started, to the minute.
    started_at: str
    expires_at: str
    current: bool
