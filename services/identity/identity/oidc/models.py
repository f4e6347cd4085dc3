"""A tenant's OpenID provider, the sign-ins on their way to it, and the accounts' links.

Only the link is kept of a person (tenant, issuer, subject): no name, no address, no other
claim of the ID token is ever stored."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from identity.accounts.models import ACCOUNT, CONTRACT
from identity.base import Base
from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal, personal, subject_table


class Refusal(StrEnum):
    """Why a sign-in through the directory was refused: the code the browser is sent back to
    the login page with (``#/login?oidc_error=...``), never anything about the person."""

    PROVIDER = "provider"  # the provider answered an error (the person cancelled, ...)
    STATE = "state"  # unknown, expired, used or tampered state, or another browser's
    CODE = "code"  # the provider refused the code (replayed, expired) or could not be reached
    TOKEN = "token"  # noqa: S105 (a refusal's code) the ID token: signature, issuer, audience, expiry
    NONCE = "nonce"  # the ID token is not the answer to this sign-in
    NO_ACCOUNT = "no_account"  # no account of the tenant matches (nor is linked)
    STAFF = "staff"  # staff sign in with their password and second factor
    LINK = "link"  # two first sign-ins of one account at the same time: the other one won


class OidcProvider(Base):
    """The OpenID provider of a tenant (at most one): its employees may sign in through it."""

    __tablename__ = "oidc_providers"

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True, info=not_personal("a company")
    )
    #: The provider's issuer identifier (``https://login.microsoftonline.com/<tid>/v2.0``).
    issuer: Mapped[str] = mapped_column(String(500), info=not_personal("a company's setting"))
    client_id: Mapped[str] = mapped_column(String(255), info=not_personal("a company's setting"))
    #: AES-256-GCM, bound to the tenant's id (``identity.oidc.client.Oidc.seal``).
    client_secret: Mapped[str] = mapped_column(
        String(2000), info=not_personal("a company's secret, encrypted")
    )
    #: The ID token claim compared with the accounts' employee number at a first sign-in.
    match_claim: Mapped[str] = mapped_column(String(64), info=not_personal("a company's setting"))
    #: Scopes asked beyond ``openid`` (space-separated; empty: none).
    extra_scopes: Mapped[str] = mapped_column(
        String(255), default="", info=not_personal("a company's setting")
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))


class OidcLogin(Base):
    """A sign-in sent to the provider and not back yet (ten minutes, used once). Nobody is
    known yet: nothing here is about a person."""

    __tablename__ = "oidc_logins"

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), info=not_personal("a company")
    )
    #: SHA-256 of the ``state`` parameter, and of the browser's ``__Host-oidc`` cookie: the
    #: answer must come back to the browser that started the sign-in.
    state_hash: Mapped[str] = mapped_column(
        String(64), unique=True, info=not_personal("a one-time secret's hash")
    )
    browser_hash: Mapped[str] = mapped_column(
        String(64), info=not_personal("a one-time secret's hash")
    )
    nonce: Mapped[str] = mapped_column(String(64), info=not_personal("a one-time secret"))
    #: The PKCE verifier (RFC 7636, S256), sent with the code to the provider.
    code_verifier: Mapped[str] = mapped_column(String(128), info=not_personal("a one-time secret"))
    expires_at: Mapped[datetime] = mapped_column(
        UtcDateTime, index=True, info=not_personal("a date")
    )


LINK = personal("directory account link", ACCOUNT, CONTRACT, provided=False)


class OidcLink(Base):
    """The account of a person at their employer's directory: the provider's issuer and the
    person's subject (``sub``) there. Made at the first sign-in through the directory; the
    next ones find the account by it alone."""

    __tablename__ = "oidc_links"
    __table_args__ = (
        UniqueConstraint("tenant_id", "issuer", "subject", name="uq_oidc_links_subject"),
        UniqueConstraint("user_id", "issuer", name="uq_oidc_links_user_issuer"),
        {"info": subject_table("user_id", tenant="tenant_id", source="your employer's directory")},
    )

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, info=LINK
    )
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), info=LINK)
    issuer: Mapped[str] = mapped_column(String(500), info=LINK)
    subject: Mapped[str] = mapped_column(String(255), info=LINK)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=LINK)
