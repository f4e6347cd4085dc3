"""The end of a client's contract (Art. 28(3)(g)): ``/api/privacy/closures``.

A tenant admin closes their tenant, or the platform administrator any; the closure runs in
the privacy worker (``privacy.closures.service``) and shows its progress here. The client's
archive is handed over by the platform administrator (the tenant's own accounts are closed).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from kit.auth import Principal, Role, require_recent_sign_in, require_roles
from kit.db import SessionDep, utcnow
from privacy.closures import service
from privacy.closures.schemas import ClosureCreate, ClosurePublic, public
from privacy.context import ContextDep

router = APIRouter(prefix="/api/privacy/closures", tags=["closures"])

Closer = Annotated[Principal, Depends(require_roles(Role.TENANT_ADMIN, Role.PLATFORM_ADMIN))]
PlatformAdmin = Annotated[Principal, Depends(require_roles(Role.PLATFORM_ADMIN))]


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def close_tenant(body: ClosureCreate, closer: Closer, db: SessionDep) -> ClosurePublic:
    """Close the tenant: nobody of it signs in again; every person's data is exported for the
    client, then erased but what the law keeps. A sensitive action: a recent sign-in (403
    otherwise) and ``confirm``, the tenant's name (422 otherwise). Asked again: the same
    closure."""
    require_recent_sign_in(closer)
    closure = await service.start(
        db, principal=closer, tenant_id=body.tenant_id, confirm=body.confirm, now=utcnow()
    )
    return public(closure, await service.progress(db, closure))


@router.get("/{tenant_id}")
async def get_closure(tenant_id: str, closer: Closer, db: SessionDep) -> ClosurePublic:
    """The closure's progress, and its report once completed; 404 for a tenant not closing."""
    closure = await service.visible_closure(db, principal=closer, tenant_id=tenant_id)
    return public(closure, await service.progress(db, closure))


@router.get(
    "/{tenant_id}/archive",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
async def get_archive(
    tenant_id: str, admin: PlatformAdmin, db: SessionDep, ctx: ContextDep
) -> Response:
    """The client's archive (zip), for the platform administrator; 404 until it is made."""
    data = await service.download(db, ctx, principal=admin, tenant_id=tenant_id[:36], now=utcnow())
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="tenant-data.zip"'},
    )
