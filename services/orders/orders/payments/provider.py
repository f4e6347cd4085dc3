"""The payment-provider port and its sandbox adapter (OR2).

The platform never sees a card: the buyer pays on the provider's page, the provider tells us
the outcome with a signed webhook, and we keep only its reference. ``SandboxProvider`` behaves
like a real provider for development and tests: payment intents, a confirmation step in place
of the hosted page, and webhooks signed with HMAC-SHA256 over ``timestamp.body``.

``PAYMENT_PROVIDER`` chooses the adapter (``configured_provider``). The sandbox is the only one
yet, and production refuses it (``orders.config``): a real provider's adapter implements
``PaymentProvider`` and gets its own value of ``PAYMENT_PROVIDER``.
"""

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from kit.errors import Unauthenticated
from orders.config import Settings

#: A webhook older (or newer) than this is refused: a replay of a captured one fails.
TOLERANCE_SECONDS = 300


class PaymentStatus(StrEnum):
    """What a provider's webhook says of a payment (its event type)."""

    SUCCEEDED = "payment.succeeded"
    FAILED = "payment.failed"
    REFUNDED = "payment.refunded"


@dataclass(frozen=True)
class Intent:
    reference: str
    redirect_url: str


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    #: A ``PaymentStatus`` (or a type of event this service does not know: ignored).
    type: str
    reference: str
    amount_cents: int


class PaymentProvider(Protocol):
    def create_intent(self, *, order_id: str, amount_cents: int) -> Intent: ...

    def verify_webhook(self, body: bytes, signature: str) -> WebhookEvent: ...


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class SandboxProvider:
    """The provider's behaviour, in process: what the tests and a local run pay with."""

    def __init__(self, secret: bytes, *, confirm_base: str) -> None:
        self.secret = secret
        self.confirm_base = confirm_base

    def create_intent(self, *, order_id: str, amount_cents: int) -> Intent:
        reference = f"sbx_{secrets.token_hex(12)}"
        return Intent(reference, f"{self.confirm_base}/{reference}")

    def webhook(self, *, event_type: str, reference: str, amount_cents: int) -> tuple[bytes, str]:
        """What the provider would POST to us: a body and its signature header."""
        body = json.dumps(
            {
                "id": f"evt_{secrets.token_hex(12)}",
                "type": event_type,
                "data": {"reference": reference, "amount_cents": amount_cents},
            }
        ).encode()
        return body, sign(self.secret, int(time.time()), body)

    def verify_webhook(self, body: bytes, signature: str) -> WebhookEvent:
        try:
            parts = dict(item.split("=", 1) for item in signature.split(","))
            timestamp = int(parts["t"])
            expected = sign(self.secret, timestamp, body)
        except (ValueError, KeyError) as exc:
            raise Unauthenticated("bad webhook signature") from exc
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise Unauthenticated("bad webhook signature")
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise Unauthenticated("webhook too old: replay refused")
        try:
            data = json.loads(body)
            return WebhookEvent(
                id=str(data["id"]),
                type=str(data["type"]),
                reference=str(data["data"]["reference"]),
                amount_cents=int(data["data"]["amount_cents"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise Unauthenticated("bad webhook body") from exc


def configured_provider(settings: Settings) -> PaymentProvider:
    """The adapter ``PAYMENT_PROVIDER`` names (the settings refused the sandbox in production)."""
    match settings.payment_provider:
        case "sandbox":
            return SandboxProvider(
                settings.payment_webhook_secret.get_secret_value().encode(),
                confirm_base=settings.sandbox_confirm_base,
            )
