"""Orders settings from the environment (see .env.example)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from kit.settings import DEV_SECRET_MARKER, ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "orders"
    #: Order records are kept this long after the purchase (Code de commerce L110-4).
    order_retention_years: int = 5
    #: Invoices are accounting records: kept this long after they are issued (L123-22).
    invoice_retention_years: int = 10
    #: The payment provider's adapter. Only the sandbox exists yet: its page
    #: (``POST /api/payments/sandbox/{reference}``) lets any signed-in employee mark their own
    #: order paid, which issues the invoice and ships the goods. Production refuses it (staging
    #: allows it), so production cannot start until a real provider's adapter is added here.
    payment_provider: Literal["sandbox"] = "sandbox"
    #: The fulfilment partners' adapter. Only the sandbox exists yet: it acknowledges every
    #: message without delivering anything (the order is ``fulfilled``, the buyer told it has
    #: shipped) and keeps names and delivery addresses in files that an erasure does not
    #: remove. Production refuses it (staging allows it), like the payment sandbox.
    partner_adapter: Literal["sandbox"] = "sandbox"
    #: Signs the payment provider's webhooks (the sandbox's in development).
    payment_webhook_secret: SecretStr = SecretStr(DEV_SECRET_MARKER + "payment-webhook")
    #: Where the sandbox's "hosted payment page" sends the buyer (our confirmation route).
    sandbox_confirm_base: str = "/api/payments/sandbox"
    #: Which fulfilment partner delivers each kind of offer (a processor of ours, OR5).
    partners: dict[str, str] = {"ticket": "ticketing", "voucher": "gift-cards", "goods": "parcels"}
    #: Keys the pseudonymous references each partner gets (different per partner, so two
    #: partners cannot link their orders); changing it changes every reference.
    pseudonym_key: SecretStr = SecretStr(DEV_SECRET_MARKER + "partner-pseudonyms")
    #: The sandbox partners' "inbox": each message a partner receives, as a JSON file
    #: (default ``var/partners``). A real partner's adapter would call its API instead.
    partners_dir: Path | None = None

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.environment == "production":
            if self.payment_provider == "sandbox":
                problems.append(
                    "PAYMENT_PROVIDER=sandbox: any employee could mark their own order paid "
                    "(no real provider's adapter exists yet)"
                )
            if self.partner_adapter == "sandbox":
                problems.append(
                    "PARTNER_ADAPTER=sandbox: orders would be acknowledged but never delivered "
                    "(no real partner's adapter exists yet)"
                )
        return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
