"""The platform as a processor (Art. 28(3)): each client's contract and the sub-processors it
was told of and accepted."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime
from kit.privacy.declarations import not_personal
from privacy.base import WHEN, Base


class ClientContract(Base):
    """The processing agreement (Art. 28(3)) between a client (a tenant, the controller) and
    the platform, kept by the platform administrator."""

    __tablename__ = "client_contracts"

    tenant_id: Mapped[str] = mapped_column(
        String(36), primary_key=True, info=not_personal("a company")
    )
    client_name: Mapped[str] = mapped_column(String(200), info=not_personal("a company's name"))
    contract_reference: Mapped[str] = mapped_column(
        String(200), info=not_personal("a contract's reference")
    )
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)


class SubprocessorNotice(Base):
    """A platform processor as one client knows it (Art. 28(2)): announced (a mail to the
    tenant's admins, recorded here) and then accepted by one of them, or part of the contract
    from its signature. A sub-processor is used for a tenant only once accepted there."""

    __tablename__ = "subprocessor_notices"

    tenant_id: Mapped[str] = mapped_column(
        String(36), primary_key=True, info=not_personal("a company")
    )
    processor_id: Mapped[str] = mapped_column(
        ForeignKey("processors.id", ondelete="CASCADE"),
        primary_key=True,
        info=not_personal("random id"),
    )
    announced_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    #: The admin who accepted it (None: in the contract from its signature).
    accepted_by: Mapped[str | None] = mapped_column(
        String(36), info=not_personal("a tenant admin's id")
    )
