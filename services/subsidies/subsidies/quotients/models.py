"""The family quotient: the tenant's formula and brackets (nothing personal), each person's
declarations (the bracket, its tax year, who checked it and when, the notice's SHA-256) and,
only while a declaration waits for its check, the notice and the two figures, encrypted
(``quotient_documents``: deleted by the check, whatever its outcome). Only an approved
declaration is kept for URSSAF's checks; a refused or never-checked one goes after
``DOCUMENT_DAYS`` (``kept_until``)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import Lifetime, not_personal, personal, subject_table
from subsidies.base import ACTIVITIES, CONTRACT, ID, TENANT, Base


class QuotientFormula(StrEnum):
    """How the quotient is computed from the tax notice's two figures."""

    #: Reference tax income / number of tax shares / 12 (the usual monthly quotient).
    MONTHLY = "monthly"
    #: Reference tax income / number of tax shares.
    YEARLY = "yearly"


class DeclarationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


#: A notice nobody checked within this many days is deleted (the declaration then can only be
#: refused, and the person may declare again).
DOCUMENT_DAYS = 30

QUOTIENT = personal("family quotient bracket", ACTIVITIES, CONTRACT)
QUOTIENT_CHECK = personal(
    "check of the tax notice (who, when, SHA-256 of the notice)",
    ACTIVITIES,
    CONTRACT,
    provided=False,
    rectifiable=False,
)
#: The notice and the figures while they wait: encrypted, deleted by the check. Not in an
#: export (a copy of what the person sent a few days ago, still encrypted); the declaration
#: row says what was sent and when.
NOTICE = personal(
    "tax notice and its figures (encrypted, until the check)",
    ACTIVITIES,
    CONTRACT,
    rectifiable=False,
    exportable=False,
)


class QuotientSettings(Base):
    """A tenant's formula and brackets: ``brackets`` is JSON, ``[{"name": "A", "up_to": 700},
    ..., {"name": "D", "up_to": null}]`` in ascending order (euros of quotient)."""

    __tablename__ = "quotient_settings"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True, info=TENANT)
    #: A ``QuotientFormula``.
    formula: Mapped[str] = mapped_column(String(20), info=not_personal("a formula"))
    brackets: Mapped[str] = mapped_column(Text, info=not_personal("the brackets"))
    #: The bracket of everyone without a valid checked declaration.
    default_bracket: Mapped[str] = mapped_column(String(20), info=not_personal("a bracket"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, info=not_personal("a date"))


class QuotientDeclaration(Base):
    """A person's declaration of their family quotient. What stays after the check: the
    bracket, the tax year it is valid for, who checked it and when, the notice's SHA-256.
    Neither the income nor the notice: they were in ``quotient_documents``, deleted by the
    check."""

    __tablename__ = "quotient_declarations"
    __table_args__ = (
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                source="you (the figures of your tax notice), checked by your works council",
                kept="approved: until {quotient_proof_years} years after the tax year it is "
                f"valid for (URSSAF checks of works council benefits); refused: {DOCUMENT_DAYS} "
                f"days after the check; never checked: {DOCUMENT_DAYS} days after its notice "
                "was deleted",
                lifetime=Lifetime(
                    counted_from="kept_until",
                    reason="an approved declaration is the proof of the bracket of the "
                    "subsidies given: URSSAF may check them over 3 years (Code de la sécurité "
                    "sociale L244-3); a refused or never-checked one proves nothing: it is kept "
                    f"only {DOCUMENT_DAYS} days for the person to see its outcome",
                ),
            )
        },
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    tenant_id: Mapped[str] = mapped_column(
        String(36), index=True, info=personal("employer", ACTIVITIES, CONTRACT, provided=False)
    )
    user_id: Mapped[str] = mapped_column(
        String(36), index=True, info=personal("account id", ACTIVITIES, CONTRACT, provided=False)
    )
    #: A ``DeclarationStatus``.
    status: Mapped[str] = mapped_column(String(20), info=QUOTIENT_CHECK)
    #: The year of the notice, as declared; on approval, the year the bracket is valid for.
    tax_year: Mapped[int] = mapped_column(Integer, info=QUOTIENT)
    #: The bracket the figures give under the tenant's formula at the time of the declaration:
    #: derived from the income, so only while the declaration waits (cleared by the check,
    #: whatever its outcome, and when the unchecked notice is deleted).
    proposed_bracket: Mapped[str | None] = mapped_column(String(20), info=QUOTIENT)
    #: The bracket approved by the check (None while pending or when refused).
    bracket: Mapped[str | None] = mapped_column(String(20), info=QUOTIENT)
    #: SHA-256 of the notice as sent: the proof of what was checked, not the notice.
    document_sha256: Mapped[str] = mapped_column(String(64), info=QUOTIENT_CHECK)
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime, info=QUOTIENT_CHECK)
    checked_by: Mapped[str | None] = mapped_column(String(36), info=QUOTIENT_CHECK)
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=QUOTIENT_CHECK)
    document_deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=QUOTIENT_CHECK)
    #: When the declaration stops counting: the end of the approved tax year; the check's time
    #: when refused; the declaration's time while pending (the row's lifetime counts from it).
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=QUOTIENT_CHECK)
    #: When the row goes (its lifetime, ``live_retention``): approved, ``quotient_proof_years``
    #: after ``ends_at``; refused, ``DOCUMENT_DAYS`` after the check; pending,
    #: ``DOCUMENT_DAYS`` after the notice's own end (``2 * DOCUMENT_DAYS`` after declaring).
    kept_until: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=QUOTIENT_CHECK)


class QuotientDocument(Base):
    """The notice and the two figures of a pending declaration, encrypted with the service's
    field cipher bound to this row; deleted by the check, or ``DOCUMENT_DAYS`` after the
    declaration if nobody checked it."""

    __tablename__ = "quotient_documents"
    __table_args__ = (
        {
            "info": subject_table(
                "user_id",
                tenant="tenant_id",
                kept=f"until the check, at most {DOCUMENT_DAYS} days",
                lifetime=Lifetime(
                    counted_from="declared_at",
                    days=DOCUMENT_DAYS,
                    reason="a tax notice is kept only until its check (data minimisation)",
                ),
            )
        },
    )

    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("quotient_declarations.id", ondelete="CASCADE"), primary_key=True, info=ID
    )
    tenant_id: Mapped[str] = mapped_column(
        String(36), info=personal("employer", ACTIVITIES, CONTRACT, provided=False)
    )
    user_id: Mapped[str] = mapped_column(
        String(36), index=True, info=personal("account id", ACTIVITIES, CONTRACT, provided=False)
    )
    content_type: Mapped[str] = mapped_column(String(40), info=not_personal("a file type"))
    #: ``<key id>:<base64>`` of the notice's bytes.
    content: Mapped[str] = mapped_column(Text, info=NOTICE)
    #: ``<key id>:<base64>`` of ``{"income": ..., "shares": ...}``.
    figures: Mapped[str] = mapped_column(Text, info=NOTICE)
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime, info=NOTICE)
