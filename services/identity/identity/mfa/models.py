"""The recovery codes of two-factor login (the TOTP secret is on the account's row)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from identity.accounts.models import SECRET
from identity.base import Base
from identity.sessions.models import SESSION_DATA
from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal, subject_table


class RecoveryCode(Base):
    """One of the ten codes that replace a TOTP code once each; only a hash is stored."""

    __tablename__ = "recovery_codes"
    __table_args__ = ({"info": subject_table("user_id", kept="while two-factor login is on")},)

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, info=SESSION_DATA
    )
    code_hash: Mapped[str] = mapped_column(String(64), info=SECRET)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=SESSION_DATA)
