"""Bodies of the requests' routes, and how a request is shown."""

import copy
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kit.db import utcnow
from kit.i18n import Language, translate
from kit.privacy.declarations import LegalBasis
from kit.privacy.readable import basis_name
from kit.schemas import CleanText
from privacy.archives.models import Archive
from privacy.requests.models import FINAL, READ_ONLY, Request, RequestType, Task, TaskStatus


class ListScope(StrEnum):
    """``GET /api/privacy/requests?scope=``: one's own requests, or the tenant's (the DPO)."""

    MINE = "mine"
    TENANT = "tenant"


#: The enums' values as literals in request bodies and queries: a bad value stays a 422 of type
#: ``literal_error``, as the API has always answered (an enum field would say ``enum`` and
#: change the OpenAPI document).
RequestTypeValue = Literal[
    "access", "portability", "erasure", "rectification", "restriction", "objection"
]
assert set(get_args(RequestTypeValue)) == set(RequestType)
ListScopeValue = Literal["mine", "tenant"]
assert set(get_args(ListScopeValue)) == set(ListScope)


FieldPath = Annotated[
    str, StringConstraints(pattern=r"^[a-z_]+\.[a-z_]+\.[a-z_]+$", max_length=120)
]
Value = Annotated[CleanText, StringConstraints(max_length=500)]


class RequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: RequestTypeValue
    #: For a rectification: ``{"identity.users.first_name": "Alicia"}``.
    corrections: dict[FieldPath, Value] | None = Field(default=None, max_length=20)


class OnBehalf(RequestCreate):
    """A request the DPO received by email or post: whose, how it came, how identity was checked
    (Art. 12(6): ask for proof only on reasonable doubt, and keep no copy of it)."""

    email: Annotated[CleanText, StringConstraints(min_length=3, max_length=254)]
    #: The channels a DPO enters requests from (``Channel.EMAIL``, ``Channel.POST``).
    channel: Literal["email", "post"]
    #: What the DPO checked, in words (optional: the one-time code is the check).
    identity_check: Annotated[CleanText, StringConstraints(min_length=5, max_length=500)] | None = (
        None
    )
    #: True (the default): a one-time code is mailed to the address on the account, and the
    #: request runs only once the DPO enters it (``POST .../verify``).
    verify_by_code: bool = True
    #: An identity document the person sent, base64 (at most 1 MB): kept encrypted until the
    #: check, then deleted.
    identity_document: Annotated[str, StringConstraints(max_length=1_400_000)] | None = None

    @model_validator(mode="after")
    def _some_check(self) -> "OnBehalf":
        if not self.verify_by_code and self.identity_check is None:
            raise ValueError("without the one-time code, say how the identity was checked")
        return self


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=12)]


class Extension(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(ge=1, le=2)
    reason: Annotated[CleanText, StringConstraints(min_length=5, max_length=500)]


class ArchiveInfo(BaseModel):
    available: bool
    expires_at: datetime | None = None


class RequestPublic(BaseModel):
    id: str
    type: str
    status: str
    channel: str
    received_at: datetime
    due_at: datetime
    overdue: bool
    extension_reason: str | None = None
    completed_at: datetime | None = None
    services: dict[str, str]
    report: dict[str, Any] | None = None
    archive: ArchiveInfo | None = None
    failure_reason: str | None = None
    #: For a request filed by the DPO: ``awaiting`` the one-time code, ``verified``, and when
    #: the identity document (if any) was deleted.
    verification: dict[str, str | None] | None = None


def report_in(report: dict[str, Any] | None, lang: Language) -> dict[str, Any] | None:
    """A request's report with its texts in ``lang``: each table kept after an erasure says
    why (``reason``, the declaration's text, translated) and on which basis (``basis_name``,
    ``exemption``). The services report in English (their declarations' language); the report
    is stored as they sent it and translated when read."""
    if not report:
        return report
    result = copy.deepcopy(report)
    for parts in result.values():
        for answer in (parts or {}).values() if isinstance(parts, dict) else ():
            tables = answer.get("tables") if isinstance(answer, dict) else None
            for table in tables if isinstance(tables, list) else ():
                if not isinstance(table, dict):
                    continue
                if table.get("reason"):
                    table["reason"] = translate(str(table["reason"]), lang)
                basis = table.get("legal_basis")
                if basis in {b.value for b in LegalBasis}:
                    table["basis_name"] = basis_name(str(basis), lang)
                    table["exemption"] = translate(LegalBasis(basis).erasure_exemption, lang)
    return result


def public(
    request: Request,
    tasks: Sequence[Task],
    archive: Archive | None,
    now: datetime | None = None,
    lang: Language = "en",
) -> RequestPublic:
    """What the person and the DPO see of a request at ``now`` (the clock's by default): the
    deadline in force (the extended one if the DPO extended it), overdue once it has passed
    while the request is not answered; the report's texts in ``lang``."""
    now = now or utcnow()
    due = request.extended_due_at or request.due_at
    services: dict[str, str] = {}
    for task in tasks:
        current = services.get(task.service)
        services[task.service] = task.status if current in (None, TaskStatus.DONE) else current
    return RequestPublic(
        id=request.id,
        type=request.type,
        status=request.status,
        channel=request.channel,
        received_at=request.received_at,
        due_at=due,
        overdue=request.status not in FINAL and now > due,
        extension_reason=request.extension_reason,
        completed_at=request.completed_at,
        services=services,
        report=report_in(request.report, lang) if request.type not in READ_ONLY else None,
        archive=None
        if request.type not in READ_ONLY
        else ArchiveInfo(
            available=archive is not None and archive.expires_at > now,
            expires_at=archive.expires_at if archive else None,
        ),
        failure_reason=request.failure_reason,
    )
