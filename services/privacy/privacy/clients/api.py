"""The platform as a processor (Art. 28(3)): ``/api/privacy/clients``.

The platform administrator records each client's contract; a tenant admin accepts the
sub-processors announced to their tenant. The record of processing (Art. 30(2)) is
``GET /api/privacy/register?role=processor`` (``privacy.register.api``)."""

from typing import Annotated

from fastapi import APIRouter, Depends

from kit.auth import Principal, Role, TenantAdmin, require_roles
from kit.db import SessionDep, utcnow
from privacy.clients import service
from privacy.clients.schemas import (
    ContractPublic,
    ContractSet,
    NoticePublic,
    contract_public,
    notice_public,
)

router = APIRouter(prefix="/api/privacy/clients", tags=["clients"])

PlatformAdmin = Annotated[Principal, Depends(require_roles(Role.PLATFORM_ADMIN))]


@router.put("/{tenant_id}/contract")
async def set_contract(
    tenant_id: str, body: ContractSet, _admin: PlatformAdmin, db: SessionDep
) -> ContractPublic:
    """Art. 28(3): the client's processing agreement; the platform's processors in place at
    its signature are part of it."""
    contract = await service.set_contract(
        db,
        tenant_id=tenant_id[:36],
        client_name=body.client_name,
        contract_reference=body.contract_reference,
        signed_at=body.signed_at,
        now=utcnow(),
    )
    return contract_public(contract)


@router.post("/subprocessors/{processor_id}/accept")
async def accept_subprocessor(
    processor_id: str, admin: TenantAdmin, db: SessionDep
) -> NoticePublic:
    """Art. 28(2): the tenant accepts a sub-processor announced to it; 404 for one never
    announced there."""
    notice = await service.accept(db, principal=admin, processor_id=processor_id, now=utcnow())
    return notice_public(notice)
