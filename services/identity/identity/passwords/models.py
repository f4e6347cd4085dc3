"""The single-use links sent by email."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from identity.accounts.models import SECRET
from identity.base import Base
from identity.sessions.models import SESSION_DATA
from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal, subject_table


class LinkPurpose(StrEnum):
    """What a link sets: a new password (``reset_minutes``), or the first one of an account
    opened by an import (``invite_days``)."""

    RESET = "reset"
    INVITE = "invite"


class AccountToken(Base):
    """A single-use link sent by email: a password reset (30 minutes) or an invitation to set
    a first password. Only the token's SHA-256 is stored."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        {"info": subject_table("user_id", kept="until used or expired, then one day")},
    )

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, info=SESSION_DATA
    )
    #: A ``LinkPurpose``.
    purpose: Mapped[str] = mapped_column(String(20), info=not_personal("a kind of link"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=SESSION_DATA)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=SESSION_DATA)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=SESSION_DATA)
