"""What the identity service does with events: its part in data-subject requests.

Everything generic (export, erasure with the one-year connection log kept in the restricted
archive, rectification, restriction) comes from the declarations of the features' models; this file
adds identity's own step: an erasure starts by ending every session of the person, so they are
logged out everywhere before any data goes, and the account itself goes last (the privacy
service sends identity's erase command only after every other service has answered).
"""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts import repository as accounts
from identity.models import events, subject_data
from identity.sessions import repository as sessions
from identity.tenants import service as tenants
from kit.db import utcnow
from kit.events import Envelope, Subscription
from kit.mail import queue_mail
from kit.privacy.participant import Participant
from kit.privacy.protocol import (
    ACCOUNT_MAIL,
    PRIVACY,
    TENANT_CLOSING,
    Action,
    account_mail_key,
    tenant_closing_key,
)


async def close_account(
    db: AsyncSession, subject: str, _payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Erasure's first step: no more login, every session ended, before any data goes."""
    deactivated = await accounts.deactivate(db, user_id=subject)
    revoked = await sessions.revoke_sessions(db, user_id=subject, now=now)
    return {"sessions_revoked": revoked, "login_disabled": deactivated}


async def tell_restriction_lifted(
    db: AsyncSession, subject: str, _payload: dict[str, Any], _now: datetime
) -> dict[str, Any]:
    """Art. 18(3): the person is told before the restriction of their data is lifted."""
    user = await accounts.user_by_id_any_tenant(db, subject)
    if user is None:
        return {"told": False}
    await queue_mail(
        db,
        events,
        to=user.email,
        tenant=user.tenant_id,
        subject="Vos données ne sont plus limitées / Your data is no longer restricted",
        text=(
            "Bonjour,\n\nLa limitation du traitement de vos données, que vous aviez demandée, "
            "est levée par notre délégué à la protection des données.\n\n"
            "Hello,\n\nThe restriction of processing of your data that you asked for has been "
            "lifted by our data protection officer.\n"
        ),
    )
    return {"told": True}


async def mail_accounts(db: AsyncSession, envelope: Envelope) -> None:
    """Mail people by account id for another service (privacy's newsletters, breach notices,
    identity-check codes), or the tenant's accounts of one ``role`` (the client's admins, told
    of a new sub-processor or of a breach as the controller): accounts of the event's tenant,
    the active ones only unless the payload says ``deactivated_too`` (a breach notice: Art. 34
    is owed to everyone whose data was hit, a deactivated account too); a marketing mail skips
    people who objected (Art. 21(3)) or whose data is restricted (Art. 18)."""
    payload = envelope.payload
    wanted = {str(r["subject"]): r.get("footer") for r in payload.get("recipients", [])}
    if envelope.tenant is None:
        return
    role = payload.get("role")
    if not wanted and not role:
        return
    users = (
        list(
            await accounts.users_by_id(
                db,
                tenant_id=envelope.tenant,
                ids=list(wanted),
                deactivated_too=bool(payload.get("deactivated_too")),
            )
        )
        if wanted
        else []
    )
    if role:
        # The tenant's staff of that role (a client's admins, as the controller): by role,
        # since privacy does not know who they are.
        extra = await accounts.active_users_with_role(db, tenant_id=envelope.tenant, role=str(role))
        users += [u for u in extra if u.id not in wanted]
        wanted |= {u.id: None for u in extra if u.id not in wanted}
    if payload.get("marketing"):
        ids = [u.id for u in users]
        frozen = await subject_data.flagged(db, subject_data.restrictions, ids)
        frozen |= await subject_data.flagged(db, subject_data.objections, ids)
        users = [u for u in users if u.id not in frozen]
    for user in users:
        footer = wanted[user.id]
        text = str(payload["text"]) + (f"\n\n{footer}\n" if footer else "")
        await queue_mail(
            db,
            events,
            to=user.email,
            tenant=user.tenant_id,
            subject=str(payload["subject"]),
            text=text,
        )


def account_mail_subscription() -> Subscription:
    """The worker's queue of mails other services ask identity to send to accounts."""
    return Subscription(
        "identity.account_mail",
        {ACCOUNT_MAIL: mail_accounts},
        [account_mail_key("identity")],
        senders={PRIVACY},
    )


async def close_tenant(db: AsyncSession, envelope: Envelope) -> None:
    """The privacy service closes a tenant (the client's contract ended): no sign-in, no
    session, before its people's data is exported and erased."""
    if envelope.tenant is not None:
        await tenants.close(db, envelope.tenant, utcnow())


def tenant_subscription() -> Subscription:
    """The worker's queue of what the privacy service says of whole tenants."""
    return Subscription(
        "identity.tenants",
        {TENANT_CLOSING: close_tenant},
        [tenant_closing_key("identity")],
        senders={PRIVACY},
    )


participant = Participant(
    service="identity",
    subject_data=subject_data,
    events=events,
    hooks={
        Action.REVOKE_SESSIONS: close_account,
        Action.ERASE: close_account,
        Action.LIFT_RESTRICTION: tell_restriction_lifted,
    },
)
