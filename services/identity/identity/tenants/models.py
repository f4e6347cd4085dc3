"""The tenants table."""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from identity.base import Base
from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal


class Tenant(Base):
    """A client company or works council, with its own site."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    slug: Mapped[str] = mapped_column(String(63), unique=True, info=not_personal("a company"))
    name: Mapped[str] = mapped_column(String(200), info=not_personal("a company's name"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))
    #: The email domains of the company's staff (``["demo.test"]``): an import refuses others.
    email_domains: Mapped[list[str]] = mapped_column(
        JSON, default=list, info=not_personal("a company's email domains")
    )
    #: When the client's contract ended and the tenant was closed (Art. 28(3)(g)): nobody of it
    #: signs in again and its sessions are over; its people's data is exported for the client
    #: and erased by the privacy service's closure.
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=not_personal("a date"))
