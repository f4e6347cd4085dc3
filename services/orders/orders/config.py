"""Orders settings from the environment (see .env.example)."""

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr

from kit.settings import DEV_SECRET_MARKER, ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "orders"
    #: Order records are kept this long after the purchase (Code de commerce L110-4).
    order_retention_years: int = 5
    #: Invoices are accounting records: kept this long after they are issued (L123-22).
    invoice_retention_years: int = 10
    #: Where the identity service answers other services (the buyer's email when none is given).
    identity_url: str = "http://127.0.0.1:8101"
    #: Where the subsidies service reserves an order's subsidies (service to service).
    subsidies_url: str = "http://127.0.0.1:8103"
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


@lru_cache
def get_settings() -> Settings:
    return Settings()
