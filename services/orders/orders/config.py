"""Orders settings from the environment (see .env.example)."""

from functools import lru_cache

from pydantic import SecretStr

from kit.settings import DEV_SECRET_MARKER, ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "orders"
    #: Order records are kept this long after the purchase (Code de commerce L110-4).
    order_retention_years: int = 5
    #: Where the identity service answers other services (the buyer's email when none is given).
    identity_url: str = "http://127.0.0.1:8101"
    #: Signs the payment provider's webhooks (the sandbox's in development).
    payment_webhook_secret: SecretStr = SecretStr(DEV_SECRET_MARKER + "payment-webhook")
    #: Where the sandbox's "hosted payment page" sends the buyer (our confirmation route).
    sandbox_confirm_base: str = "/api/payments/sandbox"


@lru_cache
def get_settings() -> Settings:
    return Settings()
