"""Bodies of the processors' routes."""

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kit.i18n import Language, translate
from kit.schemas import Line, text
from privacy.processors.models import Processor, ProcessorScope
from privacy.processors.service import in_eea, scope_of

#: ``ProcessorScope``'s values as a literal: a bad scope stays a 422 of type ``literal_error``,
#: and the OpenAPI document is the one the API has always had.
ScopeValue = Literal["platform", "tenant"]
assert set(get_args(ScopeValue)) == set(ProcessorScope)


class ProcessorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line
    #: What it does for the platform: hosting, email, payment...
    role: Line
    data_categories: list[Line] = Field(min_length=1, max_length=30)
    #: ISO 3166-1 alpha-2 code of where the data is processed.
    location: Annotated[str, StringConstraints(min_length=2, max_length=2)]
    #: Outside the EU/EEA: the safeguard of Chapter V (adequacy decision, SCCs, BCRs...).
    safeguard: Annotated[str, text(500)] | None = None
    #: ``platform`` (every tenant's register; the platform administrator only) or ``tenant``
    #: (the caller's tenant's register; its DPO only). Default: ``tenant`` for a DPO,
    #: ``platform`` for a platform administrator.
    scope: ScopeValue | None = None


class ProcessorPublic(BaseModel):
    id: str
    name: str
    role: str
    data_categories: list[str]
    location: str
    in_eu_eea: bool
    safeguard: str | None
    created_at: str
    #: ``platform``: in every tenant's register, kept by the platform administrator;
    #: ``tenant``: the caller's tenant's own, kept by its DPO.
    scope: ScopeValue


def public(processor: Processor, lang: Language = "en") -> ProcessorPublic:
    """A processor as listed, in ``lang`` where the catalogue knows its texts (the defaults
    the migration writes); what a DPO typed stays as typed."""
    return ProcessorPublic(
        id=processor.id,
        name=translate(processor.name, lang),
        role=translate(processor.role, lang),
        data_categories=[translate(c, lang) for c in processor.data_categories],
        location=processor.location,
        in_eu_eea=in_eea(processor.location),
        safeguard=processor.safeguard,
        created_at=processor.created_at.isoformat(),
        scope=scope_of(processor),
    )
