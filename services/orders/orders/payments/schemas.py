"""Response bodies of the payments."""

from pydantic import BaseModel


class IntentPublic(BaseModel):
    reference: str
    redirect_url: str
