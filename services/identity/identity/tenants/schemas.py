"""What the tenants' routes answer."""

from pydantic import BaseModel


class TenantPublic(BaseModel):
    slug: str
    name: str
