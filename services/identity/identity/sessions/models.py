"""The sessions and the connection log."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from identity.base import Base
from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import (
    LegalBasis,
    Purpose,
    Retention,
    not_personal,
    personal,
    subject_table,
)

SECURITY = Purpose.SITE_COMMUNICATION
SESSION_DATA = personal(
    "connection data", SECURITY, LegalBasis.LEGITIMATE_INTERESTS, provided=False
)
#: A secret of a session (its token's hash, a device token's counter): never exported.
SESSION_SECRET = personal(
    "session secret", SECURITY, LegalBasis.LEGITIMATE_INTERESTS, provided=False, exportable=False
)
#: Connection data: kept one year (French decree 2021-1362 on connection data).
CONNECTION_LOG = Retention(
    years=1,
    counted_from="at",
    basis=LegalBasis.LEGAL_OBLIGATION,
    reason="connection data kept one year (Décret n° 2021-1362, LCEN art. 6)",
)


class Session(Base):
    """A login. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "sessions"
    __table_args__ = (
        {"info": subject_table("user_id", tenant="tenant_id", kept="{session_hours} hours")},
    )

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, info=SESSION_DATA
    )
    tenant_id: Mapped[str] = mapped_column(String(36), info=SESSION_DATA)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SESSION_SECRET)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=SESSION_DATA)
    #: Absolute lifetime (``session_hours``): activity does not extend it.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=SESSION_DATA)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=SESSION_DATA)
    #: When the person last entered their credentials in this session (sign-in, or a
    #: re-authentication before a sensitive action): the tokens' ``auth_time``.
    authenticated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=SESSION_DATA)
    #: Last request seen (to the minute): a staff session idle too long ends.
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=SESSION_DATA)
    #: Shown in the person's list of sessions: "Firefox on Linux", never the full User-Agent.
    device: Mapped[str | None] = mapped_column(String(100), info=SESSION_DATA)
    #: The network of the login (IPv4 /24, IPv6 /48), never the full address.
    network: Mapped[str | None] = mapped_column(String(64), info=SESSION_DATA)


LOG = personal(
    "connection log", SECURITY, LegalBasis.LEGAL_OBLIGATION, provided=False, retained=True
)


class LoginEvent(Base):
    """The connection log: one row per successful login, kept one year (ID5)."""

    __tablename__ = "login_events"
    __table_args__ = (
        {
            "info": subject_table(
                "user_id", tenant="tenant_id", retention=CONNECTION_LOG, kept="one year"
            )
        },
    )

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    user_id: Mapped[str] = mapped_column(String(36), index=True, info=LOG)
    tenant_id: Mapped[str] = mapped_column(String(36), info=LOG)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=LOG)
