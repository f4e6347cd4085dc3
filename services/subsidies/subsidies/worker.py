"""The subsidies service's event worker: ``python -m subsidies.worker``."""

from kit.events import Subscription
from kit.publications import platform_publications
from kit.worker import serve
from subsidies.config import Settings, get_settings
from subsidies.context import build_context
from subsidies.handlers import orders_subscription, participant
from subsidies.jobs import scheduled
from subsidies.models import events, subject_data


def publishes(settings: Settings) -> list[str]:
    """The routing keys this service publishes (topic patterns): the broker account of the
    service may publish these and nothing else (devstack.rabbitmq)."""
    return [*platform_publications(settings.service_name)]


def subscriptions(settings: Settings) -> list[Subscription]:
    """The worker's queues (also the source of the broker's definitions, devstack.rabbitmq)."""
    return [participant.subscription(settings), orders_subscription()]


def main() -> None:
    settings = get_settings()
    context = build_context(settings)
    serve(
        settings,
        events=events,
        declarations=subject_data,
        subscriptions=subscriptions(settings),
        jobs=scheduled(context),
    )


if __name__ == "__main__":
    main()
