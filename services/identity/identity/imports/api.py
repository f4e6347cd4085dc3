"""The employee import of tenant admins: ``POST /api/users/import`` (a CSV as the body)."""

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse

from identity.accounts.api import TenantAdmin
from identity.context import ContextDep
from identity.imports import service
from identity.imports.schemas import ImportMode, ImportReport, ModeParam
from kit.db import SessionDep, utcnow
from kit.errors import ErrorBody
from kit.privacy.audit import Auditor

router = APIRouter(prefix="/api/users", tags=["users"])

#: The gateway's limit for this route; the service checks it too.
MAX_BYTES = 10 * 1024 * 1024
#: What browsers and spreadsheets call a CSV file (Windows says it is an Excel file).
CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"})
#: A 422 is the report of a refused file, or the usual error body for bad query parameters.
REPORT = {"model": ImportReport | ErrorBody}


async def _body(request: Request) -> bytes:
    """The request body, refused past ``MAX_BYTES`` without reading it all."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in CSV_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send the file as the body, as text/csv"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise HTTPException(
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "the file is larger than 10 MB"
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/import",
    response_model=ImportReport,
    responses={
        415: {"model": ErrorBody, "description": "not sent as text/csv"},
        422: REPORT | {"description": "line errors (nothing changed), or a bad file"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def import_users(
    request: Request,
    admin: TenantAdmin,
    db: SessionDep,
    ctx: ContextDep,
    audit: Auditor,
    mode: ModeParam = "all_or_nothing",
    deactivate_missing: bool = False,
    dry_run: bool = False,
) -> JSONResponse:
    """Create, update, reactivate (and with ``deactivate_missing``, deactivate) the tenant's
    employees from a CSV: ``email``, ``first_name``, ``last_name``, optional ``role`` (French
    headers ``courriel``, ``prénom``, ``nom`` too), UTF-8 or Windows-1252, ``,`` or ``;``.

    New accounts get an emailed invitation to choose their password. ``all_or_nothing``: any
    line error and nothing changes (422 with the report); ``per_line``: good lines applied."""
    result = await service.run(
        db,
        ctx.settings,
        admin=admin,
        data=await _body(request),
        mode=ImportMode(mode),
        deactivate_missing=deactivate_missing,
        dry_run=dry_run,
        now=utcnow(),
    )
    await audit.change(result.changed, "account")
    return JSONResponse(result.report.model_dump(mode="json"), status_code=result.status)
