"""Production refuses development secrets and embedded defaults."""

import pytest
from pydantic import SecretStr, ValidationError

from kit.settings import DEV_SECRET_MARKER, ServiceSettings


class Example(ServiceSettings):
    service_name: str = "example"
    secret_key: SecretStr = SecretStr(DEV_SECRET_MARKER + "example")


def test_development_defaults_work(tmp_path: object) -> None:
    settings = Example()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("/db/example.db")


def test_production_refuses_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://svc@db/example")
    monkeypatch.setenv("AMQP_URL", "amqp://svc:strong@mq/")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Example()


def test_production_refuses_sqlite_and_guest_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-vault")
    with pytest.raises(ValidationError) as info:
        Example()
    assert "DATABASE_URL" in str(info.value)
    assert "AMQP_URL" in str(info.value)


def test_production_with_real_values_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-vault")
    monkeypatch.setenv("SUBJECT_KEY", "another-real-secret-from-the-vault")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://svc@db/example")
    monkeypatch.setenv("AMQP_URL", "amqp://svc:strong@mq/")
    assert Example().environment == "production"
