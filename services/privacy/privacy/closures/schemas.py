"""Bodies of the closures' routes."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from privacy.closures.models import TenantClosure


class ClosureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: The tenant to close: the platform administrator names it; a tenant admin closes their
    #: own (default).
    tenant_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = None
    #: What the closer types to confirm: the tenant's name as people sign in with it (its
    #: slug), or, for the platform administrator, the tenant's id.
    confirm: Annotated[str, StringConstraints(min_length=1, max_length=63)]


class ClosureProgress(BaseModel):
    people: int
    exported: int
    erased: int
    failed: int


class ClosurePublic(BaseModel):
    tenant_id: str
    #: ``exporting``, ``erasing`` or ``completed``.
    status: str
    requested_at: datetime
    exported_at: datetime | None
    completed_at: datetime | None
    progress: ClosureProgress
    #: The client's archive: ready (for the platform administrator) until this date.
    archive_ready: bool
    archive_size: int | None
    archive_expires_at: datetime | None
    #: Once completed: per service, the rows erased, the rows kept and why.
    report: dict[str, Any] | None


def public(closure: TenantClosure, progress: dict[str, int]) -> ClosurePublic:
    return ClosurePublic(
        tenant_id=closure.tenant_id,
        status=closure.status,
        requested_at=closure.requested_at,
        exported_at=closure.exported_at,
        completed_at=closure.completed_at,
        progress=ClosureProgress(**progress),
        archive_ready=closure.archive_file is not None,
        archive_size=closure.archive_size,
        archive_expires_at=closure.archive_expires_at,
        report=closure.report,
    )
