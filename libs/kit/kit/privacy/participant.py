"""How a service takes part in data-subject requests: one handler, derived from declarations.

The same command delivered twice has one effect: erasure, rectification and restriction record
their report in ``dsr_handled`` in the transaction of their effect, and a repeat answers that
report again; exports are read afresh each time (reading twice changes nothing).
"""

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.crypto import seal
from kit.events import Envelope, EventStore
from kit.events.subscription import Subscription
from kit.privacy.protocol import (
    ANSWER_KEY,
    ANSWERED,
    COMMAND,
    PRIVACY,
    Action,
    command_key,
    seal_context,
)
from kit.privacy.subject import SubjectData, erasure_report
from kit.settings import ServiceSettings

#: Errors that say "this change cannot be made", as opposed to "the database is away".
REFUSED = (IntegrityError, DataError, ValueError, TypeError, LookupError)

Hook = Callable[[AsyncSession, str, dict[str, Any], datetime], Awaitable[dict[str, Any]]]
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Participant:
    def __init__(
        self,
        *,
        service: str,
        subject_data: SubjectData,
        events: EventStore,
        hooks: dict[Action, Hook] | None = None,
        clock: Clock = _utcnow,
    ) -> None:
        self.service = service
        self.data = subject_data
        self.events = events
        self.hooks = hooks or {}
        self.clock = clock
        #: The privacy service's public key, from the configuration (``subscription``):
        #: exports are sealed to it, never to a key a command names.
        self.seal_to = ""

    @property
    def binding(self) -> str:
        return command_key(self.service)

    def handlers(self) -> dict[str, Callable[[AsyncSession, Envelope], Awaitable[None]]]:
        return {COMMAND: self.handle}

    def subscription(self, settings: ServiceSettings) -> Subscription:
        """The worker's queue of this service's data-subject commands: the privacy service's
        alone (the consumer checks the publishing broker account)."""
        self.seal_to = settings.privacy_seal_key
        return Subscription(
            f"{self.service}.dsr", self.handlers(), [self.binding], senders={PRIVACY}
        )

    async def handle(self, session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        action = Action(payload["action"])
        request_id, subject = str(payload["request_id"]), str(payload["subject"])
        now = self.clock()
        answer: dict[str, Any] = {
            "request_id": request_id,
            "action": action.value,
            "service": self.service,
            "status": "done",
        }
        if action in (Action.EXPORT, Action.PORTABILITY):
            data = await self.data.export(
                session, subject, portable_only=action is Action.PORTABILITY
            )
            content = {"service": self.service, "tables": data, "inventory": self.data.inventory()}
            answer["result"] = {"tables": {k: len(v) for k, v in data.items()}}
            if not self.seal_to:
                raise RuntimeError("PRIVACY_SEAL_KEY is not set: exports cannot be sealed")
            answer["sealed"] = seal(
                self.seal_to,
                json.dumps(content).encode(),
                context=seal_context(request_id, self.service, action.value),
            )
        else:
            result = await self.data.handled_result(session, request_id, action.value)
            if result is None:
                try:
                    # A savepoint: a refused change (a constraint, a bad value) is undone alone,
                    # and answered as failed, instead of coming back for ever.
                    async with session.begin_nested():
                        result = await self._apply(session, action, subject, payload, now)
                except REFUSED as exc:
                    result = {"failed": type(exc).__name__}
                    answer["status"] = "failed"
                await self.data.record_handled(session, request_id, action.value, result, now=now)
            elif "failed" in result:
                answer["status"] = "failed"
            answer["result"] = result
        await self.events.add(
            session,
            ANSWERED,
            tenant=envelope.tenant,
            subject=subject,
            payload=answer,
            routing_key=ANSWER_KEY,
        )

    async def _apply(
        self,
        session: AsyncSession,
        action: Action,
        subject: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if action in self.hooks:  # the service's own step first (identity revokes sessions)
            result.update(await self.hooks[action](session, subject, payload, now))
        if action is Action.ERASE:
            report = await self.data.erase(session, subject, now=now)
            result["tables"] = erasure_report(report)
        elif action is Action.RECTIFY:
            result.update(
                await self.data.rectify(
                    session, subject, dict(payload.get("corrections") or {}).get(self.service, {})
                )
            )
        elif action is Action.RESTRICT:
            result["restricted"] = await self.data.restrict(
                session, subject, request_id=str(payload["request_id"]), now=now
            )
        elif action is Action.LIFT_RESTRICTION:
            result["lifted"] = await self.data.lift(session, subject)
        elif action is Action.OBJECT:
            result["objected"] = await self.data.object(
                session, subject, request_id=str(payload["request_id"]), now=now
            )
        elif action is Action.REPLAY_ERASURES:
            keys = {str(k) for k in payload.get("subject_keys", [])}
            erased = 0
            for found in await self.data.subjects(session):
                if self.data.subject_key(found) in keys:
                    await self.data.erase(session, found, now=now)
                    erased += 1
            result["erased_again"] = erased
        return result
