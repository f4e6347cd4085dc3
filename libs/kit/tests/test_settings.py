"""Production (and staging) refuse development secrets, placeholders, mail in clear and demo
seeding, naming the variables and never a value."""

import pytest
from pydantic import SecretStr, ValidationError

from kit.demo import seed_main
from kit.settings import DEV_SECRET_MARKER, ServiceSettings, is_placeholder


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


# -- placeholders: the development defaults and .env.example's values ------------------------

#: What a production environment needs besides its secrets (URLs with real passwords).
REAL = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "a-real-secret-from-the-vault",
    "SUBJECT_KEY": "another-real-secret-from-the-vault",
    "DATABASE_URL": "postgresql+asyncpg://svc:Vault-Password-1@db/example",
    "AMQP_URL": "amqp://svc:Vault-Password-2@mq/",
}


def refusal(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    """The message of the refusal of ``REAL`` changed by ``env``."""
    for name, value in (REAL | env).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Example()
    return str(info.value)


@pytest.mark.parametrize("value", ["change-me", "change-me-subject-key", "CHANGE-ME-x", ""])
def test_production_refuses_a_placeholder_or_empty_secret(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    message = refusal(monkeypatch, SUBJECT_KEY=value)
    assert "SUBJECT_KEY" in message
    assert "SECRET_KEY" not in message.replace("SUBJECT_KEY", "")


@pytest.mark.parametrize("variable", ["DATABASE_URL", "AMQP_URL"])
def test_production_refuses_a_placeholder_password_in_a_url(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    url = REAL[variable].replace("Vault-Password-", "change-me-db-")
    message = refusal(monkeypatch, **{variable: url})
    assert f"{variable}: its password is a placeholder" in message
    assert "change-me-db-" not in message  # the value never appears, only the variable


def test_production_refuses_a_placeholder_among_retired_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Rotating(Example):
        retired_keys: dict[str, SecretStr] = {}

    for name, value in REAL.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RETIRED_KEYS", '{"k1": "a-real-old-key", "k0": "dev-insecure-old"}')
    with pytest.raises(ValidationError, match="RETIRED_KEYS"):
        Rotating()


def test_a_refusal_never_shows_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pydantic's message would end with the input (a URL and its password) unless hidden."""
    message = refusal(monkeypatch, AMQP_URL="amqp://guest:Vault-Password-2@mq/")
    assert "AMQP_URL: the guest account" in message
    assert "Vault-Password" not in message
    assert "a-real-secret" not in message


def test_the_markers() -> None:
    assert is_placeholder("dev-insecure-change-me")
    assert is_placeholder("change-me-postgres")
    assert not is_placeholder("xK2v-change-me")


# -- staging: production's rules, with the sandboxes and a mail sink ----------------------------


def test_staging_applies_production_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, ENVIRONMENT="staging", SECRET_KEY="dev-insecure-x")
    assert "ENVIRONMENT=staging" in message
    assert "SECRET_KEY" in message
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-vault")
    settings = Example()
    assert settings.production_like
    assert not Example(environment="test").production_like


# -- SMTP: a local relay, or TLS with an account -----------------------------------------------


def test_production_refuses_mail_in_clear_to_a_remote_relay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = refusal(monkeypatch, SMTP_HOST="mail-sink", SMTP_PORT="1025")
    assert "SMTP_HOST" in message
    assert "SMTP_TLS" in message
    assert "SMTP_USER" in message
    assert "SMTP_PASSWORD" in message


def test_production_refuses_tls_without_an_account(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, SMTP_HOST="smtp.relay.example", SMTP_TLS="starttls")
    assert "SMTP_USER" in message
    assert "SMTP_PASSWORD" in message
    assert "SMTP_TLS" not in message


def test_production_refuses_a_placeholder_smtp_password(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(
        monkeypatch,
        SMTP_HOST="smtp.relay.example",
        SMTP_TLS="implicit",
        SMTP_USER="platform",
        SMTP_PASSWORD="change-me-smtp",
    )
    assert "SMTP_PASSWORD" in message


@pytest.mark.parametrize(
    ("env", "environment"),
    [
        ({"SMTP_HOST": "smtp.relay.example", "SMTP_TLS": "starttls"}, "production"),
        ({"SMTP_HOST": "smtp.relay.example", "SMTP_TLS": "implicit"}, "production"),
        ({"SMTP_HOST": "localhost", "SMTP_PORT": "25"}, "production"),
        ({"SMTP_HOST": "::1"}, "production"),
        ({"SMTP_HOST": "mail-sink", "SMTP_PORT": "1025"}, "staging"),
    ],
)
def test_mail_settings_production_accepts(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], environment: str
) -> None:
    for name, value in (REAL | env | {"ENVIRONMENT": environment}).items():
        monkeypatch.setenv(name, value)
    if "SMTP_TLS" in env:
        monkeypatch.setenv("SMTP_USER", "platform")
        monkeypatch.setenv("SMTP_PASSWORD", "Relay-Password-From-The-Vault")
    assert Example().environment == environment


def test_an_smtp_password_never_travels_in_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    """In every environment: an account without TLS to a relay off the machine."""
    monkeypatch.setenv("SMTP_HOST", "smtp.relay.example")
    monkeypatch.setenv("SMTP_USER", "platform")
    with pytest.raises(ValidationError, match="SMTP_TLS"):
        Example()


# -- demo seeding --------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["DEMO_PASSWORD", "DEMO_TOTP_SECRET"])
@pytest.mark.parametrize("environment", ["production", "staging"])
def test_production_refuses_demo_values(
    monkeypatch: pytest.MonkeyPatch, variable: str, environment: str
) -> None:
    message = refusal(
        monkeypatch, ENVIRONMENT=environment, **{variable: "Demo-Password-2026-Strong"}
    )
    assert f"{variable}: demo seeding is for local runs only" in message
    assert "Demo-Password" not in message


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_seeding_is_refused_in_production(
    monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    for name, value in (REAL | {"ENVIRONMENT": environment}).items():
        monkeypatch.setenv(name, value)
    seeded: list[bool] = []

    async def seed() -> None:
        seeded.append(True)

    with pytest.raises(SystemExit) as info:
        seed_main(Example(), seed, "done")
    assert f"ENVIRONMENT={environment}" in str(info.value.code)
    assert seeded == []


def test_production_refuses_any_setting_left_a_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not only secrets: a public key copied from .env.example is no configuration either."""

    class WithPublicKey(Example):
        public_key: str = ""

    for name, value in REAL.items():
        monkeypatch.setenv(name, value)
    assert WithPublicKey().public_key == ""  # unset: the service's own default applies
    monkeypatch.setenv("PUBLIC_KEY", "change-me-public-key")
    with pytest.raises(ValidationError, match="PUBLIC_KEY"):
        WithPublicKey()
