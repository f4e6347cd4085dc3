"""The DPO's contact."""

from pydantic import BaseModel


class DpoContact(BaseModel):
    name: str
    email: str
    address: str
