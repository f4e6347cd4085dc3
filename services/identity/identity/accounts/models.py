"""The accounts table. Ids are random UUIDs (never sequential); every account belongs to a
tenant."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from identity.base import Base
from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import LegalBasis, Purpose, not_personal, personal, subject_table

ACCOUNT = Purpose.SOCIAL_ACTIVITIES
CONTRACT = LegalBasis.CONTRACT
#: Secrets that describe nothing about the person: never exported, never rectified.
SECRET = personal(
    "credentials", ACCOUNT, CONTRACT, provided=False, exportable=False, rectifiable=False
)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),
        UniqueConstraint("tenant_id", "employee_number", name="uq_users_tenant_employee_number"),
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
    #: The employee number the employer's import gives (optional; ``docs/accounts.md``): a
    #: first sign-in through the employer's directory links the account whose number the ID
    #: token's match claim holds. Corrected by the employer's file, not through a request.
    employee_number: Mapped[str | None] = mapped_column(
        String(64), info=personal("identity", ACCOUNT, CONTRACT, provided=False, rectifiable=False)
    )
    roles: Mapped[list[str]] = mapped_column(
        JSON, info=personal("roles and rights", ACCOUNT, CONTRACT, provided=False)
    )
    #: argon2id PHC string; absent until the person sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255), info=SECRET)
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
