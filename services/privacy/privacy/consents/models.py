"""Consents, their history, newsletters and their unsubscribe links (PR6)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import LegalBasis, Lifetime, not_personal, personal, subject_table
from privacy.base import ID, KEYED, RIGHTS, STAFF_WORK, WHEN, Base


class ConsentPurpose(StrEnum):
    """The purposes that need consent (their notices: ``privacy.consents.service.NOTICES``)."""

    NEWSLETTER = "newsletter"
    PARTNER_OFFERS = "partner_offers"


class ConsentChannel(StrEnum):
    """How a consent was given or withdrawn."""

    WEB = "web"
    EMAIL_LINK = "email-link"


#: An unsubscribe link works this long.
UNSUBSCRIBE_DAYS = 90

CONSENTED = personal("consents", RIGHTS, LegalBasis.CONSENT, provided=True, rectifiable=False)


class Consent(Base):
    """A person's current choice for a purpose that needs consent (newsletters...)."""

    __tablename__ = "consents"
    __table_args__ = (
        {"info": subject_table("subject", tenant="tenant_id", kept="while your account exists")},
    )

    subject: Mapped[str] = mapped_column(String(36), primary_key=True, info=CONSENTED)
    purpose: Mapped[str] = mapped_column(
        String(40), primary_key=True, info=not_personal("a purpose")
    )
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=not_personal("a company"))
    granted: Mapped[bool] = mapped_column(Boolean, info=CONSENTED)
    notice_version: Mapped[str] = mapped_column(String(20), info=CONSENTED)
    channel: Mapped[str] = mapped_column(String(20), info=CONSENTED)
    at: Mapped[datetime] = mapped_column(UtcDateTime, info=CONSENTED)


class ConsentEvent(Base):
    """Each consent given or withdrawn, kept as the proof (who, what, which notice, when, how).
    On erasure the person's id becomes the keyed hash: the proof stays, the person goes."""

    __tablename__ = "consent_events"
    __table_args__ = (
        Index("ix_consent_events_subject_at", "subject", "at"),  # a person's history, by time
        {
            "info": subject_table(
                "subject",
                tenant="tenant_id",
                kept="{consent_proof_years} years after the choice is replaced or withdrawn, "
                "as the proof of your consent",
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    subject: Mapped[str | None] = mapped_column(String(36), index=True, info=CONSENTED)
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True, info=KEYED)
    tenant_id: Mapped[str] = mapped_column(String(36), info=not_personal("a company"))
    purpose: Mapped[str] = mapped_column(String(40), info=not_personal("a purpose"))
    granted: Mapped[bool] = mapped_column(Boolean, info=CONSENTED)
    notice_version: Mapped[str] = mapped_column(String(20), info=CONSENTED)
    channel: Mapped[str] = mapped_column(String(20), info=CONSENTED)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=CONSENTED)


class Newsletter(Base):
    """A newsletter a tenant admin sent: to whoever consented and did not object, then."""

    __tablename__ = "newsletters"
    __table_args__ = ({"info": subject_table("author_id", tenant="tenant_id")},)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True, info=not_personal("a company"))
    author_id: Mapped[str] = mapped_column(String(36), info=STAFF_WORK)
    subject_line: Mapped[str] = mapped_column(String(200), info=not_personal("a newsletter"))
    text: Mapped[str] = mapped_column(Text, info=not_personal("a newsletter"))
    recipients: Mapped[int] = mapped_column(Integer, info=not_personal("a count"))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)


class UnsubscribeToken(Base):
    """The link in a newsletter: withdraws that person's consent, once, without logging in."""

    __tablename__ = "unsubscribe_tokens"
    __table_args__ = (
        {
            "info": subject_table(
                "subject",
                tenant="tenant_id",
                kept=f"{UNSUBSCRIBE_DAYS} days",
                # A dead link is nothing to keep (Art. 5(1)(e)).
                lifetime=Lifetime(
                    counted_from="expires_at", reason=f"a link works {UNSUBSCRIBE_DAYS} days"
                ),
            )
        },
    )

    token_hash: Mapped[str] = mapped_column(
        String(64), primary_key=True, info=not_personal("hash of a random token")
    )
    subject: Mapped[str] = mapped_column(String(36), index=True, info=CONSENTED)
    tenant_id: Mapped[str] = mapped_column(String(36), info=not_personal("a company"))
    purpose: Mapped[str] = mapped_column(String(40), info=not_personal("a purpose"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=WHEN)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=WHEN)
