"""The orders service's event worker: ``python -m orders.worker``."""

import asyncio

from kit.mail import mail_subscription
from kit.worker import retention_purge, run_worker
from orders.config import get_settings
from orders.handlers import participant, partner_subscription
from orders.models import events, subject_data
from orders.partners import SandboxPartners


def main() -> None:
    settings = get_settings()
    # The sandbox until a real partner's adapter is configured (same port, same messages).
    partners = SandboxPartners(settings.partners_dir or settings.var_dir / "partners")
    asyncio.run(
        run_worker(
            settings=settings,
            events=events,
            declarations=subject_data,
            subscriptions=[
                participant.subscription(),
                mail_subscription(settings),
                partner_subscription(partners),
            ],
            jobs=[retention_purge(subject_data)],
        )
    )


if __name__ == "__main__":
    main()
