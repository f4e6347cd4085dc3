"""What the orders app holds, built once at start (``build_context``) and handed to the routes
(``ContextDep``): the settings, the payment provider and what fulfilment needs."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from kit.web import app_context
from orders.config import Settings
from orders.models import subject_data
from orders.partners.service import Fulfilment
from orders.payments.provider import PaymentProvider, configured_provider


@dataclass(frozen=True)
class Context:
    settings: Settings
    #: The adapter ``PAYMENT_PROVIDER`` names (or a test's).
    payments: PaymentProvider
    #: Which partner delivers each kind of offer, and the keyed references they get.
    fulfilment: Fulfilment


def build_context(settings: Settings, *, payments: PaymentProvider | None = None) -> Context:
    """The app's context from ``settings`` (the personal-data declarations are bound to them);
    ``payments`` replaces the configured provider."""
    subject_data.bind(settings)
    return Context(
        settings=settings,
        payments=payments or configured_provider(settings),
        fulfilment=Fulfilment.from_settings(settings),
    )


#: A route's context (``app.state.context``, set by ``main.build_app``).
ContextDep = Annotated[Context, Depends(app_context)]
