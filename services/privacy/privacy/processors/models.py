"""Processors (Art. 28, PR9): the platform's and each tenant's own."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal
from privacy.base import ID, WHEN, Base


class ProcessorScope(StrEnum):
    #: In every tenant's register, kept by the platform administrator (``tenant_id`` None).
    PLATFORM = "platform"
    #: One tenant's own, kept by its DPO, in that tenant's register only.
    TENANT = "tenant"


class Processor(Base):
    """A processor (Art. 28): the platform's (hosting, email, payment...), in every tenant's
    register and kept by the platform administrator, or one tenant's own, kept by its DPO."""

    __tablename__ = "processors"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    #: None: the platform's; otherwise the tenant whose register alone lists it.
    tenant_id: Mapped[str | None] = mapped_column(
        String(36), index=True, info=not_personal("a company, or none for the platform's")
    )
    name: Mapped[str] = mapped_column(String(200), info=not_personal("a company"))
    role: Mapped[str] = mapped_column(String(200), info=not_personal("what it does for us"))
    data_categories: Mapped[list[str]] = mapped_column(JSON, info=not_personal("categories"))
    #: ISO country code of where the data is processed.
    location: Mapped[str] = mapped_column(String(2), info=not_personal("a country"))
    #: For a country outside the EU/EEA: the documented safeguard (adequacy decision, SCCs...).
    safeguard: Mapped[str | None] = mapped_column(String(500), info=not_personal("a safeguard"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
