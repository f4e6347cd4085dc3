"""The registers of processing: ``GET /api/privacy/register``.

- the controller's (Art. 30(1), PR7; ``?role=controller``, the default for a DPO): the
  tenant's DPO;
- the processor's (Art. 30(2), ``?role=processor``, the default for the others): the
  processing the platform carries out for the caller's client company, for its tenant admin
  or DPO; the platform administrator (for the platform's DPO) names the tenant with
  ``?tenant=``.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import HTMLResponse

from kit.auth import Principal, Role, require_roles
from kit.db import SessionDep, utcnow
from kit.errors import Forbidden
from kit.i18n import Language, negotiate
from privacy.clients import render as processor_render
from privacy.clients import service as clients
from privacy.context import ContextDep
from privacy.register import render, service

router = APIRouter(prefix="/api/privacy", tags=["register"])

Reader = Annotated[
    Principal, Depends(require_roles(Role.DPO, Role.TENANT_ADMIN, Role.PLATFORM_ADMIN))
]
Format = Literal["json", "csv", "html"]


def _answer(
    document: dict[str, Any], fmt: Format, name: str, csv_text: str | None, html_text: str | None
) -> dict[str, Any] | Response:
    if fmt == "csv" and csv_text is not None:
        return Response(
            csv_text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "html" and html_text is not None:
        return HTMLResponse(html_text)
    return document


@router.get("/register", response_model=None)
async def get_register(
    reader: Reader,
    db: SessionDep,
    ctx: ContextDep,
    fmt: Annotated[Format, Query(alias="format")] = "json",
    role: Literal["controller", "processor"] | None = None,
    tenant: Annotated[str | None, Query(min_length=1, max_length=36)] = None,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
    lang: Annotated[
        Language | None,
        Query(description="The language, instead of Accept-Language (a link to an export)"),
    ] = None,
) -> dict[str, Any] | Response:
    """Art. 30(1) (``role=controller``, the tenant's DPO): controller, DPO, and per purpose
    its basis, people, data, recipients, transfers, retention and security; the processors.
    Art. 30(2) (``role=processor``, the tenant admin or DPO; the platform administrator names
    a ``tenant``): the client as controller and its contract, the platform and its DPO, the
    categories of processing, the sub-processors and what the client accepted, transfers
    and security measures. JSON, CSV or a readable page, in the caller's language
    (``Accept-Language``, or ``?lang=``: ``fr`` by default, ``en``)."""
    now = utcnow()
    language = lang or negotiate(accept_language)
    if role is None:  # the register the caller keeps: the DPO's, else the client's record
        role = "controller" if Role.DPO in reader.roles else "processor"
    if role == "processor":
        tenant_id = clients.record_tenant(reader, tenant)
        record = await clients.record(
            db,
            ctx.settings,
            now,
            tenant_id=tenant_id,
            client_name=reader.tenant if tenant_id == reader.tenant_id else tenant_id,
            lang=language,
        )
        csv_text = processor_render.to_csv(record) if fmt == "csv" else None
        html_text = processor_render.to_html(record) if fmt == "html" else None
        return _answer(record, fmt, "processor-register", csv_text, html_text)
    if Role.DPO not in reader.roles or tenant not in (None, reader.tenant_id):
        raise Forbidden("the register of processing is the DPO's")
    document = await service.register(
        db, ctx.settings, now, tenant_id=reader.tenant_id, lang=language
    )
    csv_text = render.to_csv(document) if fmt == "csv" else None
    html_text = render.to_html(document) if fmt == "html" else None
    return _answer(document, fmt, "register", csv_text, html_text)
