"""Partner listing requests, each column declared personal or not (docs/privacy.md).

They come from people without an account (the public form): found by the contact's email,
deleted ``partner_contact_retention_years`` after the last contact (``support.jobs``); a
contact person's own request is handled by the DPO (docs/support.md).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import LegalBasis, Purpose, not_personal, personal, subject_table
from support.base import Base


class PartnerRequestStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CONTACTED = "contacted"


class Decision(StrEnum):
    """What an agent makes of a request: every status but the form's own ``received``."""

    ACCEPTED = PartnerRequestStatus.ACCEPTED.value
    REJECTED = PartnerRequestStatus.REJECTED.value
    CONTACTED = PartnerRequestStatus.CONTACTED.value


PARTNERS, INTERESTS = Purpose.PARTNER_LISTING, LegalBasis.LEGITIMATE_INTERESTS

#: What a prospective partner's contact person gave us on the public form.
CONTACT = personal("business contact", PARTNERS, INTERESTS)
#: What we recorded about the request (dates, our notes).
FOLLOW_UP = personal("partner request follow-up", PARTNERS, INTERESTS, provided=False)


class PartnerRequest(Base):
    """A business asking to be listed as a partner of a tenant, from the public form.

    The contact person has no account: their rows are found by their email, and their own
    requests (access, erasure) are handled by the DPO (``DELETE /api/partners/requests/{id}``).
    """

    __tablename__ = "partner_requests"
    __table_args__ = (
        # A tenant's requests, the newest first (kit.pagination).
        Index("ix_partner_requests_tenant_slug_received_at", "tenant_slug", "received_at"),
        {
            "info": subject_table(
                "contact_email",
                tenant=None,
                source="you, through the public partner form",
                kept="{partner_contact_retention_years} years after our last contact",
            )
        },
    )

    id: Mapped[str] = mapped_column(
        String(36), primary_key=True, default=new_id, info=not_personal("random id")
    )
    #: The tenant asked (its public slug: the form has no session, so no tenant id).
    tenant_slug: Mapped[str] = mapped_column(String(63), index=True, info=not_personal("a company"))
    #: May name a sole trader: treated like the contact details.
    company: Mapped[str] = mapped_column(String(200), info=CONTACT)
    contact_name: Mapped[str] = mapped_column(String(200), info=CONTACT)
    contact_email: Mapped[str] = mapped_column(String(254), index=True, info=CONTACT)
    contact_phone: Mapped[str | None] = mapped_column(String(30), info=CONTACT)
    message: Mapped[str] = mapped_column(Text, info=CONTACT)
    #: A ``PartnerRequestStatus``.
    status: Mapped[str] = mapped_column(String(20), info=not_personal("a status"))
    note: Mapped[str | None] = mapped_column(Text, info=FOLLOW_UP)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, info=FOLLOW_UP)
    #: The form, then each agent's action: the retention counts from here.
    last_contact_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=FOLLOW_UP)
