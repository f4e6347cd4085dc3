"""The support service's event worker: ``python -m support.worker``. Wiring only: its queues
(``support.handlers``), its scheduled jobs (``support.jobs``) and what it publishes."""

from kit.events import Subscription
from kit.publications import platform_publications
from kit.worker import serve
from support.config import Settings, get_settings
from support.handlers import participant
from support.jobs import scheduled
from support.models import events, subject_data


def publishes(settings: Settings) -> list[str]:
    """The routing keys this service publishes (topic patterns): the broker account of the
    service may publish these and nothing else (devstack.rabbitmq)."""
    return [*platform_publications(settings.service_name)]


def subscriptions(settings: Settings) -> list[Subscription]:
    """The worker's queues (also the source of the broker's definitions, devstack.rabbitmq)."""
    return [participant.subscription(settings)]


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
