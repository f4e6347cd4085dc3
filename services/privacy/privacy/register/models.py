"""What each service declared about the personal data it holds: the register's source."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime
from kit.privacy.declarations import not_personal
from privacy.base import WHEN, Base


class ServiceDeclaration(Base):
    """What a service declared about the personal data it holds, as it published it at start:
    the register of processing is generated from these."""

    __tablename__ = "service_declarations"

    service: Mapped[str] = mapped_column(String(40), primary_key=True, info=not_personal("a name"))
    inventory: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, info=not_personal("tables, columns and their declarations")
    )
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
