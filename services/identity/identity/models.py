"""Identity tables. Ids are random UUIDs (never sequential); every user row belongs to a tenant."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from identity.config import get_settings
from kit.db import UtcDateTime, new_id
from kit.events import EventStore
from kit.privacy.declarations import (
    LegalBasis,
    Purpose,
    Retention,
    not_personal,
    personal,
    subject_table,
)
from kit.privacy.subject import SubjectData


class Base(DeclarativeBase):
    pass


events = EventStore(Base.metadata, source="identity")
subject_data = SubjectData(
    Base.metadata,
    service="identity",
    purpose=Purpose.SOCIAL_ACTIVITIES,
    key=get_settings().subject_key.get_secret_value().encode(),
)

ACCOUNT = Purpose.SOCIAL_ACTIVITIES
CONTRACT = LegalBasis.CONTRACT
#: Connection data: kept one year (French decree 2021-1362 on connection data).
CONNECTION_LOG = Retention(
    years=1,
    counted_from="at",
    basis=LegalBasis.LEGAL_OBLIGATION,
    reason="connection data kept one year (Décret n° 2021-1362, LCEN art. 6)",
)


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


#: Secrets that describe nothing about the person: never exported, never rectified.
SECRET = personal(
    "credentials", ACCOUNT, CONTRACT, provided=False, exportable=False, rectifiable=False
)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),
        # The admin's list of accounts (kit.pagination): the newest first, page after page
        # from an index position.
        Index("ix_users_tenant_id_created_at", "tenant_id", "created_at"),
        {"info": subject_table("id", tenant="tenant_id", source="your employer or works council")},
    )

    id: Mapped[str] = mapped_column(
        String(36),
        primary_key=True,
        default=new_id,
        info=personal("account id", ACCOUNT, CONTRACT, provided=False),
    )
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"),
        index=True,
        info=personal("employer", ACCOUNT, CONTRACT, provided=False),
    )
    #: Not rectified through a request: it is the login and comes from the employer's list;
    #: the tenant admin corrects it (a typo here would lock the person out).
    email: Mapped[str] = mapped_column(
        String(254), info=personal("contact", ACCOUNT, CONTRACT, rectifiable=False)
    )
    first_name: Mapped[str] = mapped_column(
        String(100), info=personal("identity", ACCOUNT, CONTRACT)
    )
    last_name: Mapped[str] = mapped_column(
        String(100), info=personal("identity", ACCOUNT, CONTRACT)
    )
    roles: Mapped[list[str]] = mapped_column(
        JSON, info=personal("roles and rights", ACCOUNT, CONTRACT, provided=False)
    )
    #: argon2id PHC string; absent until the person sets a password.
    password_hash: Mapped[str | None] = mapped_column(
        String(255),
        info=personal(
            "credentials", ACCOUNT, CONTRACT, provided=False, exportable=False, rectifiable=False
        ),
    )
    is_active: Mapped[bool] = mapped_column(
        Boolean, default=True, info=personal("account", ACCOUNT, CONTRACT, provided=False)
    )
    created_at: Mapped[datetime] = mapped_column(
        UtcDateTime, info=personal("account", ACCOUNT, CONTRACT, provided=False)
    )
    password_changed_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, info=personal("account", ACCOUNT, CONTRACT, provided=False)
    )
    #: The TOTP secret (RFC 6238), encrypted (AES-GCM bound to this row), once enrolment is
    #: confirmed; ``totp_pending`` holds a secret shown once and not yet confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(200), info=SECRET)
    totp_pending: Mapped[str | None] = mapped_column(String(200), info=SECRET)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, info=personal("two-factor login", ACCOUNT, CONTRACT, provided=False)
    )
    #: The last TOTP time step accepted: a code is never accepted twice (RFC 6238, 5.2).
    totp_last_step: Mapped[int | None] = mapped_column(
        Integer, info=not_personal("a counter of 30-second steps")
    )
    last_login_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, info=personal("connection data", ACCOUNT, CONTRACT, provided=False)
    )
    #: When the person was told their account will be deleted for inactivity.
    inactivity_warned_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, info=personal("account", ACCOUNT, CONTRACT, provided=False)
    )


SECURITY = Purpose.SITE_COMMUNICATION
SESSION_DATA = personal(
    "connection data", SECURITY, LegalBasis.LEGITIMATE_INTERESTS, provided=False
)


class Session(Base):
    """A login. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "sessions"
    __table_args__ = ({"info": subject_table("user_id", tenant="tenant_id", kept="24 hours")},)

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, info=SESSION_DATA
    )
    tenant_id: Mapped[str] = mapped_column(String(36), info=SESSION_DATA)
    token_hash: Mapped[str] = mapped_column(
        String(64),
        unique=True,
        info=personal(
            "session secret",
            SECURITY,
            LegalBasis.LEGITIMATE_INTERESTS,
            provided=False,
            exportable=False,
        ),
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=SESSION_DATA)
    #: Absolute lifetime (24 h): activity does not extend it.
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
    #: ``reset`` or ``invite``.
    purpose: Mapped[str] = mapped_column(String(20), info=not_personal("a kind of link"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=SESSION_DATA)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=SESSION_DATA)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=SESSION_DATA)


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
    #: trusted (``identity.devices``): wrong codes count there. None: the account's counter.
    device_key: Mapped[str | None] = mapped_column(
        String(64),
        info=personal(
            "session secret",
            SECURITY,
            LegalBasis.LEGITIMATE_INTERESTS,
            provided=False,
            exportable=False,
        ),
    )


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


class LoginThrottle(Base):
    """Failed sign-ins (wrong passwords and wrong second-step codes) per (tenant, email), kept
    whether or not the account exists, and per device token (``identity.devices``).

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
