"""Consents and newsletters (PR6): ``/api/privacy/consents``, ``/newsletters``,
``/unsubscribe``."""

from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, StringConstraints

from kit.auth import CurrentUser, TenantAdmin
from kit.db import SessionDep
from kit.pagination import DEFAULT_LIMIT, PAGED_RESPONSES, Cursor, Limit
from kit.schemas import Line, text
from privacy import consents
from privacy.service import utcnow

router = APIRouter(prefix="/api/privacy", tags=["consents"])


class ConsentPublic(BaseModel):
    purpose: str
    title: str
    notice: str
    notice_version: str
    granted: bool
    #: When the choice was made, and how (``web``, ``email-link``); None: never asked yet.
    at: str | None
    channel: str | None


class ConsentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    granted: bool


class ConsentEventPublic(BaseModel):
    purpose: str
    granted: bool
    notice_version: str
    channel: str
    at: str


class NewsletterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Line
    text: Annotated[str, text(20_000, lines=True)]


class NewsletterPublic(BaseModel):
    id: str
    subject: str
    recipients: int
    sent_at: str


class Unsubscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=16, max_length=128)]


@router.get("/consents")
async def get_consents(principal: CurrentUser, db: SessionDep) -> list[ConsentPublic]:
    """Every purpose that needs consent, with the person's current choice (one per purpose of
    ``consents.NOTICES``: a short list the code fixes, never cut, so not paged)."""
    mine = await consents.consents_of(db, subject=principal.user_id)
    result = []
    for purpose, notice in sorted(consents.NOTICES.items()):
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
    found = await consents.set_consent(
        db,
        subject=principal.user_id,
        tenant_id=principal.tenant_id,
        purpose=body.purpose,
        granted=body.granted,
        channel="web",
        now=utcnow(),
    )
    notice = consents.NOTICES[body.purpose]
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
    page = await consents.history(db, subject=principal.user_id, cursor=cursor, limit=limit)
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
    body: NewsletterIn, request: Request, admin: TenantAdmin, db: SessionDep
) -> NewsletterPublic:
    """To the people of the tenant whose consent is active now and who did not object."""
    letter = await consents.send_newsletter(
        db,
        request.app.state.settings,
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
    await consents.unsubscribe(db, token=body.token, now=utcnow())
    return {"status": "unsubscribed"}
