"""Mandates' bodies. Bank details only ever go out masked."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from kit.schemas import CleanText, Line, Strict
from subsidies.mandates.models import Mandate


class MandateIn(Strict):
    holder: Line
    iban: Annotated[CleanText, StringConstraints(max_length=50)]
    bic: Annotated[CleanText, StringConstraints(max_length=20)]


class MandatePublic(BaseModel):
    """Masked: ``FR76 **** **** 1234``; the full IBAN is never sent back."""

    id: str
    reference: str
    holder: str
    iban: str
    bic: str
    status: str
    signed_at: datetime
    last_collection_at: datetime | None

    @classmethod
    def of(cls, mandate: Mandate, masked: dict[str, str]) -> "MandatePublic":
        """``masked``: the holder, IBAN and BIC as shown (``mandates.service.masked``)."""
        return cls(
            id=mandate.id,
            reference=mandate.reference,
            status=mandate.status,
            signed_at=mandate.signed_at,
            last_collection_at=mandate.last_collection_at,
            **masked,
        )
