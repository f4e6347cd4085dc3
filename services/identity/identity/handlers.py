"""What the identity service does with events: its part in data-subject requests.

Everything generic (export, erasure with the one-year connection log kept in the restricted
archive, rectification, restriction) comes from the declarations in ``models.py``; this file
adds identity's own step: an erasure starts by ending every session of the person, so they are
logged out everywhere before any data goes, and the account itself goes last (the privacy
service sends identity's erase command only after every other service has answered).
"""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identity import repository
from identity.models import events, subject_data
from kit.privacy.participant import Participant
from kit.privacy.protocol import Action


async def close_account(
    db: AsyncSession, subject: str, _payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Erasure's first step: no more login, every session ended, before any data goes."""
    deactivated = await repository.deactivate(db, user_id=subject)
    revoked = await repository.revoke_sessions(db, user_id=subject, now=now)
    return {"sessions_revoked": revoked, "login_disabled": deactivated}


participant = Participant(
    service="identity",
    subject_data=subject_data,
    events=events,
    hooks={Action.REVOKE_SESSIONS: close_account, Action.ERASE: close_account},
)
