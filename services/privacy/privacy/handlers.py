"""What the privacy service does with events: answers to its commands, and the data map."""

from sqlalchemy.ext.asyncio import AsyncSession

from kit.events import Envelope
from kit.privacy.protocol import ANSWER_KEY, ANSWERED, DATA_MAP_KEY, PERSONAL_DATA_RECORDED
from kit.worker import Subscription
from privacy import service
from privacy.config import get_settings

_ctx: service.Privacy | None = None


def context() -> service.Privacy:
    global _ctx  # noqa: PLW0603 (one per worker process, made on first use)
    if _ctx is None:
        _ctx = service.Privacy.load(get_settings())
    return _ctx


async def on_answer(db: AsyncSession, envelope: Envelope) -> None:
    await service.record_answer(db, context(), envelope, service.utcnow())


async def on_personal_data(db: AsyncSession, envelope: Envelope) -> None:
    await service.record_data_map(db, envelope, service.utcnow())


subscription = Subscription(
    "privacy.events",
    {ANSWERED: on_answer, PERSONAL_DATA_RECORDED: on_personal_data},
    [ANSWER_KEY, DATA_MAP_KEY],
)
