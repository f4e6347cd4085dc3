"""The identity check of a request received by email or post (PR1)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime
from kit.privacy.declarations import not_personal, personal, subject_table
from privacy.base import ID, OBLIGATION, RIGHTS, WHEN, Base


class VerificationStatus(StrEnum):
    """What a request's answer says of its identity check."""

    AWAITING = "awaiting"
    VERIFIED = "verified"


class Verification(Base):
    """A one-time code mailed to the address on the account before a request the DPO filed on
    someone's behalf runs; any identity document is kept encrypted until the check, then
    deleted."""

    __tablename__ = "verifications"
    __table_args__ = ({"info": subject_table("subject", kept="until the identity check")},)

    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True, info=ID
    )
    subject: Mapped[str | None] = mapped_column(
        String(36), index=True, info=personal("account id", RIGHTS, OBLIGATION, provided=False)
    )
    code_hash: Mapped[str] = mapped_column(String(64), info=not_personal("hash of a code"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    attempts: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("a count"))
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
    #: Encrypted; deleted right after the check (then only ``document_deleted_at`` remains).
    document: Mapped[str | None] = mapped_column(
        Text,
        info=personal("identity document", RIGHTS, OBLIGATION, exportable=False, rectifiable=False),
    )
    document_deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
