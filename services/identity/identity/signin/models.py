"""Pending second steps and the failed sign-ins' counters."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from identity.accounts.models import SECRET
from identity.base import Base
from identity.sessions.models import SESSION_DATA, SESSION_SECRET
from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal, subject_table


class MfaChallenge(Base):
    """A login whose password was right, waiting for its second step (five minutes, five
    tries). The browser holds the token in the ``__Host-mfa`` cookie; no session exists yet."""

    __tablename__ = "mfa_challenges"
    __table_args__ = ({"info": subject_table("user_id", kept="five minutes")},)

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, info=SESSION_DATA
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=SESSION_DATA)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=SESSION_DATA)
    attempts: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("a count"))
    device: Mapped[str | None] = mapped_column(String(100), info=SESSION_DATA)
    network: Mapped[str | None] = mapped_column(String(64), info=SESSION_DATA)
    #: The failure counter of the device token the password step came with, when it was
    #: trusted (``identity.signin.devices``): wrong codes count there. None: the account's
    #: counter.
    device_key: Mapped[str | None] = mapped_column(String(64), info=SESSION_SECRET)


class LoginThrottle(Base):
    """Failed sign-ins (wrong passwords and wrong second-step codes) per (tenant, email), kept
    whether or not the account exists, and per device token (``identity.signin.devices``).

    The key is an HMAC, so the table says nothing readable about who tried; keeping it for
    unknown accounts too is what makes the backoff unable to reveal which accounts exist.
    Rows go a day after the last failure, or at once when the sign-in completes or the
    password is reset.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(
        String(64), primary_key=True, info=not_personal("keyed hash, linked to no account id")
    )
    failures: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("a count"))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, info=not_personal("a date"))
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))
