"""The identity service's event worker: ``python -m identity.worker``. Wiring only: the
queues (``identity.handlers``), the schedule (``identity.jobs``) and what it publishes."""

from identity.config import Settings, get_settings
from identity.handlers import account_mail_subscription, participant, tenant_subscription
from identity.jobs import scheduled
from identity.models import events, subject_data
from kit.events import Subscription
from kit.mail import mail_subscription
from kit.privacy.protocol import ACCOUNT_INACTIVE_KEY, ACCOUNT_REMOVED_KEY, TENANT_CLOSED_KEY
from kit.publications import platform_publications
from kit.worker import serve


def publishes(settings: Settings) -> list[str]:
    """The routing keys this service publishes (topic patterns): the broker account of the
    service may publish these and nothing else (devstack.rabbitmq)."""
    return [
        *platform_publications(settings.service_name),
        "user.*",
        "users.*",
        ACCOUNT_INACTIVE_KEY,
        ACCOUNT_REMOVED_KEY,
        TENANT_CLOSED_KEY,
    ]


def subscriptions(settings: Settings) -> list[Subscription]:
    """The worker's queues (also the source of the broker's definitions, devstack.rabbitmq)."""
    return [
        participant.subscription(settings),
        mail_subscription(settings),
        account_mail_subscription(),
        tenant_subscription(),
    ]


def main() -> None:
    settings = get_settings()
    subject_data.bind(settings)
    serve(
        settings,
        events=events,
        declarations=subject_data,
        subscriptions=subscriptions(settings),
        jobs=scheduled(settings),
    )


if __name__ == "__main__":
    main()
