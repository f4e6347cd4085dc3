"""The orders service's event worker: ``python -m orders.worker``."""

import asyncio

from kit.mail import MAIL, mail_key, mail_sender
from kit.worker import Subscription, retention_purge, run_worker
from orders.config import get_settings
from orders.handlers import participant
from orders.models import events, subject_data


def main() -> None:
    settings = get_settings()
    asyncio.run(
        run_worker(
            settings=settings,
            events=events,
            subscriptions=[
                Subscription("orders.dsr", participant.handlers(), [participant.binding]),
                Subscription("orders.mail", {MAIL: mail_sender(settings)}, [mail_key("orders")]),
            ],
            jobs=[retention_purge(subject_data)],
        )
    )


if __name__ == "__main__":
    main()
