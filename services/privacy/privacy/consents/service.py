"""Consents (PR6) and the newsletters that depend on them.

A purpose whose legal basis is consent has a notice, with a version: giving and withdrawing
are one action each (``PUT /api/privacy/consents``), and every change is kept in
``consent_events`` as the proof (who, which purpose, which notice version, when, which
channel). A newsletter goes to the people whose consent is active when it is sent, who have
not objected (Art. 21(3)) and whose data is not restricted (Art. 18); each mail carries a link
that withdraws that person's consent once, without logging in (a random token, stored hashed,
valid 90 days).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.errors import BadRequest, Invalid
from privacy.config import Settings
from privacy.consents import repository
from privacy.consents.models import (
    UNSUBSCRIBE_DAYS,
    Consent,
    ConsentChannel,
    ConsentEvent,
    ConsentPurpose,
    Newsletter,
    UnsubscribeToken,
)
from privacy.mailing.service import mail_accounts
from privacy.requests import repository as requests


@dataclass(frozen=True)
class Notice:
    title: str
    version: str
    text: str


#: The purposes that need consent, with the notice shown when it is asked.
NOTICES: dict[str, Notice] = {
    ConsentPurpose.NEWSLETTER: Notice(
        "Newsletter of your works council",
        "2026-11",
        "Recevoir la lettre d'information de votre CSE (offres, activités), par email, au plus "
        "une fois par semaine. Vous pouvez retirer votre consentement à tout moment, ici ou par "
        "le lien de chaque lettre. / Receive your works council's newsletter (offers, "
        "activities) by email, at most weekly. Withdraw at any time, here or with the link in "
        "each newsletter.",
    ),
    ConsentPurpose.PARTNER_OFFERS: Notice(
        "Offers from partners, sent by your works council",
        "2026-11",
        "Recevoir, par votre CSE, les offres de ses partenaires. Aucune donnée n'est transmise "
        "aux partenaires. / Receive partners' offers through your works council. No data is "
        "given to the partners.",
    ),
}


def notice(purpose: str) -> Notice:
    found = NOTICES.get(purpose)
    if found is None:
        raise Invalid(f"unknown purpose; one of: {', '.join(sorted(NOTICES))}")
    return found


async def set_consent(
    db: AsyncSession,
    *,
    subject: str,
    tenant_id: str,
    purpose: str,
    granted: bool,
    channel: str,
    now: datetime,
) -> Consent:
    """Give or withdraw, recorded with the notice's version; the same choice again records
    nothing more."""
    current = notice(purpose)
    found = await repository.consent(db, subject=subject, purpose=purpose)
    if found is not None and found.granted == granted and found.notice_version == current.version:
        return found
    if found is None:
        found = Consent(subject=subject, purpose=purpose, tenant_id=tenant_id)
        db.add(found)
    found.granted, found.notice_version, found.channel, found.at = (
        granted,
        current.version,
        channel,
        now,
    )
    db.add(
        ConsentEvent(
            subject=subject,
            tenant_id=tenant_id,
            purpose=purpose,
            granted=granted,
            notice_version=current.version,
            channel=channel,
            at=now,
        )
    )
    await db.flush()
    return found


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def unsubscribe(db: AsyncSession, *, token: str, now: datetime) -> None:
    """A newsletter's link: withdraws that person's consent, once."""
    found = await repository.token(db, _hash(token))
    if found is None or found.used_at is not None or found.expires_at <= now:
        raise BadRequest("this link is invalid, already used or expired")
    found.used_at = now
    await set_consent(
        db,
        subject=found.subject,
        tenant_id=found.tenant_id,
        purpose=found.purpose,
        granted=False,
        channel=ConsentChannel.EMAIL_LINK,
        now=now,
    )


async def send_newsletter(
    db: AsyncSession,
    settings: Settings,
    *,
    admin: Principal,
    subject_line: str,
    text: str,
    now: datetime,
) -> Newsletter:
    """To the tenant's people whose newsletter consent is active now, who did not object
    (Art. 21(3)) and whose data is not restricted (Art. 18); identity skips, again, objections
    and restrictions it knows of."""
    consenting = await repository.consenting(
        db, tenant_id=admin.tenant_id, purpose=ConsentPurpose.NEWSLETTER
    )
    objected = await requests.objected(db, tenant_id=admin.tenant_id)
    # Art. 18: restricted data is kept, not used, and a newsletter is a use.
    restricted = await requests.restricted(db, tenant_id=admin.tenant_id)
    recipients: list[tuple[str, str | None]] = []
    for person in sorted(consenting - objected - restricted):
        token = secrets.token_urlsafe(32)
        db.add(
            UnsubscribeToken(
                token_hash=_hash(token),
                subject=person,
                tenant_id=admin.tenant_id,
                purpose=ConsentPurpose.NEWSLETTER,
                expires_at=now + timedelta(days=UNSUBSCRIBE_DAYS),
            )
        )
        link = f"{settings.public_origin}/unsubscribe#token={token}"
        recipients.append(
            (person, f"Se désinscrire / Unsubscribe (un clic, sans connexion): {link}")
        )
    letter = Newsletter(
        tenant_id=admin.tenant_id,
        author_id=admin.user_id,
        subject_line=subject_line,
        text=text,
        recipients=len(recipients),
        sent_at=now,
    )
    db.add(letter)
    await mail_accounts(
        db,
        settings,
        tenant_id=admin.tenant_id,
        recipients=recipients,
        subject=subject_line,
        text=text,
        marketing=True,
    )
    await db.flush()
    return letter


def years_before(moment: datetime, years: int) -> datetime:
    """``moment`` ``years`` earlier (a 29 February becomes the 28th in a year without it)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


async def purge_spent_proofs(db: AsyncSession, settings: Settings, now: datetime) -> int:
    """Art. 5(1)(e): the consent events whose proof is no longer needed go, on the day, while
    the account exists (``consent_proof_years`` after the choice stopped being in force)."""
    return await repository.delete_spent_proofs(
        db, ended_before=years_before(now, settings.consent_proof_years)
    )
