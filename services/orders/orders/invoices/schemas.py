"""Response bodies of the invoices."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class InvoicePublic(BaseModel):
    number: str
    order_id: str
    issued_at: datetime
    lines: list[dict[str, Any]]
    total_cents: int
    subsidy_cents: int
    billing_name: str | None
    billing_address: str | None
