"""Mail to people by account id, through the account service (privacy holds no address).

Each call writes ``account.mail`` events in the caller's transaction, 500 recipients each,
addressed to the account service (published mandatory: they wait in the outbox if its queue
is missing). Identity mails the active accounts of the tenant (with ``deactivated_too``, the
deactivated ones as well: a breach notice); a ``marketing`` mail skips people who objected or
whose data is restricted (``identity.handlers.mail_accounts``).
"""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kit.privacy.protocol import ACCOUNT_MAIL, account_mail_key
from privacy.base import events
from privacy.config import Settings

BATCH = 500


async def mail_accounts(
    db: AsyncSession,
    settings: Settings,
    *,
    tenant_id: str,
    recipients: Sequence[tuple[str, str | None]],
    subject: str,
    text: str,
    marketing: bool,
    deactivated_too: bool = False,
    role: str | None = None,
) -> int:
    """``recipients``: ``(account id, footer or None)``; with ``role``, the tenant's active
    accounts of that role too (a client's admins: privacy does not know who they are).
    Returns how many recipients were named."""
    batches = [recipients[start : start + BATCH] for start in range(0, len(recipients), BATCH)]
    for batch in batches or [[]]:
        if not batch and role is None:
            continue
        payload = {
            "subject": subject,
            "text": text,
            "marketing": marketing,
            "deactivated_too": deactivated_too,
            "recipients": [{"subject": s, "footer": f} for s, f in batch],
        }
        if role is not None:
            payload["role"] = role
            role = None  # once
        await events.add(
            db,
            ACCOUNT_MAIL,
            tenant=tenant_id,
            payload=payload,
            routing_key=account_mail_key(settings.account_service),
        )
    return len(recipients)
