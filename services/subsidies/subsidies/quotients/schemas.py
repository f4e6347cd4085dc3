"""The family quotient's bodies: the tenant's formula and brackets, a person's status, the
admin's queue and check. The income never goes back out but to the admin who checks it."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, StringConstraints, model_validator

from kit.schemas import Strict
from subsidies.quotients.models import (
    DeclarationStatus,
    QuotientDeclaration,
    QuotientFormula,
    QuotientSettings,
)

#: ``QuotientFormula``'s values as a literal (a bad one is a 422 ``literal_error``).
FormulaValue = Literal["monthly", "yearly"]
assert set(get_args(FormulaValue)) == set(QuotientFormula)

BracketName = Annotated[
    str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9 _-]+$")
]
#: A tax year: the year of the notice, or the year a bracket is valid for.
TaxYear = Annotated[int, Field(ge=2000, le=2100)]


class Bracket(Strict):
    name: BracketName
    #: The highest quotient (euros) of the bracket; None: no limit (the last one).
    up_to: int | None = Field(default=None, ge=0, le=10_000_000)


class QuotientSettingsIn(Strict):
    formula: FormulaValue
    brackets: list[Bracket] = Field(min_length=1, max_length=20)
    default_bracket: BracketName

    @model_validator(mode="after")
    def _ordered(self) -> "QuotientSettingsIn":
        names = [b.name for b in self.brackets]
        if len(set(names)) != len(names):
            raise ValueError("bracket names must be unique")
        limits = [b.up_to for b in self.brackets]
        if None in limits[:-1]:
            raise ValueError("only the last bracket may have no upper limit")
        bounded = [limit for limit in limits if limit is not None]
        if bounded != sorted(set(bounded)) or len(bounded) != len(set(bounded)):
            raise ValueError("brackets must be in ascending order of their upper limit")
        if self.default_bracket not in names:
            raise ValueError("default_bracket must be one of the brackets")
        return self


class QuotientSettingsPublic(BaseModel):
    configured: bool
    formula: str
    brackets: list[Bracket]
    default_bracket: str | None

    @classmethod
    def of(cls, found: QuotientSettings | None) -> "QuotientSettingsPublic":
        if found is None:
            return cls(
                configured=False, formula=QuotientFormula.MONTHLY, brackets=[], default_bracket=None
            )
        return cls(
            configured=True,
            formula=found.formula,
            brackets=[Bracket(**b) for b in json.loads(found.brackets)],
            default_bracket=found.default_bracket,
        )


class Figures(BaseModel):
    """The two figures of a tax notice, as the person typed them."""

    #: Reference tax income (revenu fiscal de référence), euros.
    income: int = Field(ge=0, le=100_000_000)
    #: Number of tax shares (parts): 1 to 20, in quarters.
    shares: Decimal = Field(ge=1, le=20, max_digits=5, decimal_places=2)

    @model_validator(mode="after")
    def _quarters(self) -> "Figures":
        if (self.shares * 4) % 1 != 0:
            raise ValueError("shares go by quarters (1, 1.25, 1.5...)")
        return self


class QuotientStatus(BaseModel):
    """A person's own view: the bracket that applies to them now and their last declaration."""

    #: The bracket applied to subsidies now (the default one without a valid checked notice).
    bracket: str | None
    is_default: bool
    #: The last declaration's status, ``none`` without any.
    status: Literal["none", "pending", "approved", "refused", "expired"]
    tax_year: int | None = None
    valid_until: datetime | None = None
    declared_at: datetime | None = None
    checked_at: datetime | None = None
    document_sha256: str | None = None


class PendingDeclaration(BaseModel):
    """One line of the admin's queue: the figures are shown for the check only."""

    id: str
    user_id: str
    tax_year: int
    income: int | None
    shares: Decimal | None
    quotient: int | None
    proposed_bracket: str | None
    content_type: str | None
    declared_at: datetime
    #: False once the notice was deleted unchecked (``DOCUMENT_DAYS``): refuse it.
    has_document: bool


class CheckIn(Strict):
    approved: bool
    #: Required to approve: one of the tenant's brackets.
    bracket: BracketName | None = None
    #: The year the bracket is valid for (default: the notice's year).
    tax_year: TaxYear | None = None

    @model_validator(mode="after")
    def _bracket_when_approved(self) -> "CheckIn":
        if self.approved and self.bracket is None:
            raise ValueError("give the bracket to approve")
        return self


class DeclarationPublic(BaseModel):
    """A declaration once checked (or as filed): no figure, no notice."""

    id: str
    status: str
    tax_year: int
    proposed_bracket: str | None
    bracket: str | None
    document_sha256: str
    declared_at: datetime
    checked_at: datetime | None
    document_deleted_at: datetime | None

    @classmethod
    def of(cls, found: QuotientDeclaration) -> "DeclarationPublic":
        return cls(
            id=found.id,
            status=found.status,
            tax_year=found.tax_year,
            proposed_bracket=found.proposed_bracket,
            bracket=found.bracket,
            document_sha256=found.document_sha256,
            declared_at=found.declared_at,
            checked_at=found.checked_at,
            document_deleted_at=found.document_deleted_at,
        )


assert {s.value for s in DeclarationStatus} <= set(
    get_args(QuotientStatus.model_fields["status"].annotation)
)
