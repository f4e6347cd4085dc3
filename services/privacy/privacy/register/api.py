"""The register of processing activities (PR7): ``GET /api/privacy/register`` (DPO only)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from kit.auth import DpoUser
from kit.db import SessionDep, utcnow
from privacy.context import ContextDep
from privacy.register import render, service

router = APIRouter(prefix="/api/privacy", tags=["register"])


@router.get("/register", response_model=None)
async def get_register(
    dpo: DpoUser,
    db: SessionDep,
    ctx: ContextDep,
    fmt: Annotated[Literal["json", "csv", "html"], Query(alias="format")] = "json",
) -> dict[str, Any] | Response:
    """Art. 30(1): controller, DPO, and per purpose its basis, people, data, recipients,
    transfers, retention and security; the processors (the platform's and the tenant's own).
    JSON, CSV or a readable page."""
    document = await service.register(db, ctx.settings, utcnow(), tenant_id=dpo.tenant_id)
    if fmt == "csv":
        return Response(
            render.to_csv(document),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="register.csv"'},
        )
    if fmt == "html":
        return HTMLResponse(render.to_html(document))
    return document
