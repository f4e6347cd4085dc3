"""The payment sandbox lets any signed-in employee mark their own order paid: production
refuses it (and the sandbox partners), and without it its pay route does not exist."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from orders.config import Settings
from orders.main import build_app
from orders.payments.provider import Intent, SandboxProvider, WebhookEvent, configured_provider

SANDBOX_ROUTE = "/api/payments/sandbox/{reference}"

#: Production values apart from the payment provider and the partners.
REAL = {
    "DATABASE_URL": "postgresql+asyncpg://orders:Vault-Password-1@db/orders",
    "AMQP_URL": "amqp://orders:Vault-Password-2@mq/",
    "SUBJECT_KEY": "subject-key-from-the-vault",
    "PAYMENT_WEBHOOK_SECRET": "webhook-secret-from-the-vault",
    "PSEUDONYM_KEY": "pseudonym-key-from-the-vault",
}


def settings_for(monkeypatch: pytest.MonkeyPatch, environment: str) -> Settings:
    for name, value in (REAL | {"ENVIRONMENT": environment}).items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_production_refuses_the_sandboxes(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as info:
        settings_for(monkeypatch, "production")
    message = str(info.value)
    assert "PAYMENT_PROVIDER=sandbox" in message
    assert "PARTNER_ADAPTER=sandbox" in message
    for value in REAL.values():
        assert value not in message


def test_staging_and_development_use_the_sandboxes(monkeypatch: pytest.MonkeyPatch) -> None:
    staging = settings_for(monkeypatch, "staging")
    assert (staging.payment_provider, staging.partner_adapter) == ("sandbox", "sandbox")
    assert isinstance(configured_provider(staging), SandboxProvider)
    assert Settings(environment="development").payment_provider == "sandbox"


def test_an_unknown_provider_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="payment_provider"):
        Settings(payment_provider="stripe")


class RealProvider:
    """Stands in for a real provider's adapter (none exists yet)."""

    def create_intent(self, *, order_id: str, amount_cents: int) -> Intent:
        return Intent(f"real_{order_id}", "https://pay.example/checkout")

    def verify_webhook(self, body: bytes, signature: str) -> WebhookEvent:
        raise NotImplementedError


def test_the_sandbox_route_exists_only_with_the_sandbox(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    real = build_app(settings, provider=RealProvider(), outbox=None)
    sandbox = build_app(settings, outbox=None)
    assert SANDBOX_ROUTE not in real.openapi()["paths"]
    assert SANDBOX_ROUTE in sandbox.openapi()["paths"]
    assert "/api/payments/webhook" in real.openapi()["paths"]
    with TestClient(real) as client:
        assert client.post("/api/payments/sandbox/sbx_1").status_code == 404
    with TestClient(sandbox) as client:
        # The route is there: it asks who is paying.
        assert client.post("/api/payments/sandbox/sbx_1").status_code == 401
