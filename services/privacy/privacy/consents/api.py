"""Consents and newsletters (PR6): ``/api/privacy/consents``, ``/newsletters``,
``/unsubscribe``."""

from typing import Literal

from fastapi import APIRouter, Response, status

from kit.auth import CurrentUser, TenantAdmin
from kit.db import ReadSessionDep, SessionDep, utcnow
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from privacy.consents import repository, service
from privacy.consents.models import ConsentChannel
from privacy.consents.schemas import (
    ConsentChange,
    ConsentEventPublic,
    ConsentPublic,
    NewsletterIn,
    NewsletterPublic,
    Unsubscribe,
)
from privacy.context import ContextDep

router = APIRouter(prefix="/api/privacy", tags=["consents"])


@router.get("/consents")
async def get_consents(principal: CurrentUser, db: ReadSessionDep) -> list[ConsentPublic]:
    """Every purpose that needs consent, with the person's current choice (one per purpose of
    ``service.NOTICES``: a short list the code fixes, never cut, so not paged)."""
    mine = await repository.consents_of(db, subject=principal.user_id)
    result = []
    for purpose, notice in sorted(service.NOTICES.items()):
        found = mine.get(purpose)
        result.append(
            ConsentPublic(
                purpose=purpose,
                title=notice.title,
                notice=notice.text,
                notice_version=notice.version,
                granted=bool(found and found.granted),
                at=found.at.isoformat() if found else None,
                channel=found.channel if found else None,
            )
        )
    return result


@router.put("/consents")
async def put_consent(body: ConsentChange, principal: CurrentUser, db: SessionDep) -> ConsentPublic:
    """Give or withdraw a consent: one action each way."""
    found = await service.set_consent(
        db,
        subject=principal.user_id,
        tenant_id=principal.tenant_id,
        purpose=body.purpose,
        granted=body.granted,
        channel=ConsentChannel.WEB,
        now=utcnow(),
    )
    notice = service.NOTICES[body.purpose]
    return ConsentPublic(
        purpose=body.purpose,
        title=notice.title,
        notice=notice.text,
        notice_version=found.notice_version,
        granted=found.granted,
        at=found.at.isoformat(),
        channel=found.channel,
    )


@router.get("/consents/history", responses=PAGED_RESPONSES)
async def consent_history(
    principal: CurrentUser,
    db: SessionDep,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[ConsentEventPublic]:
    """Every consent given or withdrawn, in order; one page (``X-Next-Cursor``: the next)."""
    page = await repository.history(db, subject=principal.user_id, cursor=cursor, limit=limit)
    return page.map(
        lambda e: ConsentEventPublic(
            purpose=e.purpose,
            granted=e.granted,
            notice_version=e.notice_version,
            channel=e.channel,
            at=e.at.isoformat(),
        )
    ).send(response)


@router.post("/newsletters", status_code=status.HTTP_202_ACCEPTED)
async def send_newsletter(
    body: NewsletterIn, admin: TenantAdmin, db: SessionDep, ctx: ContextDep
) -> NewsletterPublic:
    """To the people of the tenant whose consent is active now and who did not object."""
    letter = await service.send_newsletter(
        db,
        ctx.settings,
        admin=admin,
        subject_line=body.subject,
        text=body.text,
        now=utcnow(),
    )
    return NewsletterPublic(
        id=letter.id,
        subject=letter.subject_line,
        recipients=letter.recipients,
        sent_at=letter.sent_at.isoformat(),
    )


@router.post("/unsubscribe")
async def unsubscribe(body: Unsubscribe, db: SessionDep) -> dict[str, Literal["unsubscribed"]]:
    """The newsletter's link, without logging in: withdraws that person's consent, once."""
    await service.unsubscribe(db, token=body.token, now=utcnow())
    return {"status": "unsubscribed"}
