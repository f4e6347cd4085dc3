"""The privacy service's event worker: ``python -m privacy.worker``."""

from kit.events import Subscription
from kit.privacy.protocol import account_mail_key, command_key, tenant_closing_key
from kit.publications import platform_publications
from kit.worker import serve
from privacy import handlers
from privacy.config import Settings, get_settings
from privacy.context import Context, build_context
from privacy.jobs import scheduled
from privacy.models import events, subject_data
from privacy.requests.models import SENSITIVE_EVENTS


def publishes(settings: Settings) -> list[str]:
    """The routing keys this service publishes (topic patterns): the broker account of the
    service may publish these and nothing else (devstack.rabbitmq)."""
    return [
        *platform_publications(settings.service_name),
        command_key("*"),
        account_mail_key("*"),
        tenant_closing_key("*"),
    ]


def subscriptions(settings: Settings, ctx: Context | None = None) -> list[Subscription]:
    """The worker's queues (also the source of the broker's definitions, devstack.rabbitmq,
    which passes no context: it reads the queues and their routing keys only)."""
    return [handlers.subscription(ctx)]


def main() -> None:
    settings = get_settings()
    ctx = build_context(settings)
    serve(
        settings,
        events=events,
        declarations=subject_data,
        subscriptions=subscriptions(settings, ctx),
        jobs=scheduled(ctx),
        # Its handlers file erasures too (an account closed or removed).
        security_events=[handlers.IMPERSONATION, *SENSITIVE_EVENTS],
    )


if __name__ == "__main__":
    main()
