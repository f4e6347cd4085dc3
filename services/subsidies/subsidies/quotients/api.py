"""The family quotient: ``/api/subsidies/quotient``. An employee declares (two figures and the
tax notice, multipart) and sees their bracket; a tenant admin sets the formula and brackets,
checks the notices (views one, approves with a bracket or refuses)."""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from pydantic import ValidationError
from starlette.formparsers import MultiPartParser

from kit.auth import CurrentUser, TenantAdmin
from kit.db import SessionDep, utcnow
from kit.errors import Invalid
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from kit.privacy.audit import Auditor
from subsidies.context import ContextDep
from subsidies.quotients import service
from subsidies.quotients.schemas import (
    CheckIn,
    DeclarationPublic,
    Figures,
    PendingDeclaration,
    QuotientSettingsIn,
    QuotientSettingsPublic,
    QuotientStatus,
)

#: The notice stays in memory while the form is parsed: Starlette writes a file part over 1 MB
#: to a temporary file otherwise. The gateway refuses a body over 6 MB on this route
#: (gateway/templates/routes.conf.template), so no notice reaches this size.
MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, 8 * 1024 * 1024)

router = APIRouter(prefix="/api/subsidies/quotient", tags=["family quotient"])


@router.get("/settings")
async def get_settings(admin: TenantAdmin, db: SessionDep) -> QuotientSettingsPublic:
    """The tenant's formula and brackets (``configured: false`` until set)."""
    return QuotientSettingsPublic.of(await service.tenant_settings(db, tenant_id=admin.tenant_id))


@router.put("/settings")
async def put_settings(
    body: QuotientSettingsIn, admin: TenantAdmin, db: SessionDep
) -> QuotientSettingsPublic:
    """The formula (``monthly``: income / shares / 12, ``yearly``: income / shares), the
    brackets in ascending order of their upper limit, and the default bracket."""
    found = await service.set_tenant_settings(db, principal=admin, data=body, now=utcnow())
    return QuotientSettingsPublic.of(found)


@router.post("", status_code=status.HTTP_201_CREATED)
async def declare(
    income: Annotated[int, Form(ge=0, le=100_000_000)],
    shares: Annotated[Decimal, Form(ge=1, le=20)],
    tax_year: Annotated[int, Form(ge=2000, le=2100)],
    document: Annotated[UploadFile, File()],
    context: ContextDep,
    principal: CurrentUser,
    db: SessionDep,
) -> DeclarationPublic:
    """Your reference tax income, number of tax shares, the notice's year (this year or the
    two before, else 422) and the tax notice (PDF, PNG or JPEG, at most
    ``QUOTIENT_DOCUMENT_MAX_BYTES``), for your works council's check. The notice and
    the figures are deleted right after it."""
    try:
        figures = Figures(income=income, shares=shares)
    except ValidationError:
        raise Invalid("shares go by quarters (1, 1.25, 1.5...)") from None
    limit = context.settings.quotient_document_max_bytes
    content = await document.read(limit + 1)
    await document.close()
    declaration = await service.declare(
        db,
        cipher=context.cipher,
        principal=principal,
        figures=figures,
        tax_year=tax_year,
        document=content,
        max_bytes=limit,
        now=utcnow(),
    )
    return DeclarationPublic.of(declaration)


@router.get("")
async def own_status(principal: CurrentUser, db: SessionDep) -> QuotientStatus:
    """The bracket your subsidies use now, and your last declaration's status."""
    return await service.own_status(db, principal=principal, now=utcnow())


@router.get("/pending", responses=PAGED_RESPONSES)
async def pending(
    context: ContextDep,
    admin: TenantAdmin,
    db: SessionDep,
    audit: Auditor,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[PendingDeclaration]:
    """The declarations waiting for a check, the oldest first, with their figures; one page
    (``X-Next-Cursor`` holds the next one's cursor)."""
    page = await service.pending(
        db, cipher=context.cipher, tenant_id=admin.tenant_id, cursor=cursor, limit=limit
    )
    await audit.read({item.user_id for item in page.items}, "family quotient declaration")
    return page.send(response)


@router.get(
    "/pending/{declaration_id}/document",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}},
)
async def document(
    declaration_id: str, context: ContextDep, admin: TenantAdmin, db: SessionDep, audit: Auditor
) -> Response:
    """The tax notice of a pending declaration, to check it (the gateway says ``no-store``)."""
    found = await service.notice(
        db, cipher=context.cipher, tenant_id=admin.tenant_id, declaration_id=declaration_id
    )
    await audit.read([found.user_id], "tax notice")
    return Response(
        found.content,
        media_type=found.content_type,
        # The gateway adds ``Cache-Control: no-store`` and ``nosniff`` to every /api/ answer.
        headers={"Content-Disposition": "inline"},
    )


@router.post("/pending/{declaration_id}/check")
async def check(
    declaration_id: str,
    body: CheckIn,
    context: ContextDep,
    admin: TenantAdmin,
    db: SessionDep,
    audit: Auditor,
) -> DeclarationPublic:
    """Approve with a bracket (and the tax year it is valid for: this year or the two before),
    or refuse: the notice, the figures and the bracket they gave are deleted in both cases.
    An administrator's own declaration is checked by another one (403)."""
    declaration = await service.check(
        db,
        cipher=context.cipher,
        principal=admin,
        declaration_id=declaration_id,
        data=body,
        proof_years=context.settings.quotient_proof_years,
        now=utcnow(),
    )
    await audit.change([declaration.user_id], "family quotient declaration")
    return DeclarationPublic.of(declaration)
