"""The orders service's event worker: ``python -m orders.worker``."""

from kit.events import Subscription
from kit.mail import mail_subscription
from kit.publications import platform_publications
from kit.worker import serve
from orders.base import PARTNER_KEY
from orders.config import Settings, get_settings
from orders.handlers import participant, partner_subscription
from orders.jobs import scheduled
from orders.models import events, subject_data
from orders.partners.adapter import SandboxPartners


def publishes(settings: Settings) -> list[str]:
    """The routing keys this service publishes (topic patterns): the broker account of the
    service may publish these and nothing else (devstack.rabbitmq)."""
    return [*platform_publications(settings.service_name), "order.*", PARTNER_KEY]


def subscriptions(settings: Settings) -> list[Subscription]:
    """The worker's queues (also the source of the broker's definitions, devstack.rabbitmq)."""
    # The sandbox until a real partner's adapter is configured (same port, same messages).
    partners = SandboxPartners(settings.partners_dir or settings.var_dir / "partners")
    return [
        participant.subscription(settings),
        mail_subscription(settings),
        partner_subscription(partners),
    ]


def main() -> None:
    settings = get_settings()
    subject_data.bind(settings)
    serve(
        settings,
        events=events,
        declarations=subject_data,
        subscriptions=subscriptions(settings),
        jobs=scheduled(),
    )


if __name__ == "__main__":
    main()
