"""No service starts in production with the values of .env.example, and each refusal names the
variables (never a value): every service's settings, loaded with the environment that
docker-compose.yml gives its containers from .env.example. With real values the same
environment starts (no false refusal), except orders, whose only adapters are sandboxes."""

import base64
import json
import re
import secrets
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import ValidationError

from devstack.backup import cipher
from identity.config import Settings as IdentitySettings
from kit.settings import ServiceSettings, is_placeholder
from orders.config import Settings as OrdersSettings
from privacy.config import Settings as PrivacySettings
from subsidies.config import Settings as SubsidiesSettings
from support.config import Settings as SupportSettings

ROOT = Path(__file__).resolve().parents[1]

SETTINGS: dict[str, type[ServiceSettings]] = {
    "identity": IdentitySettings,
    "orders": OrdersSettings,
    "subsidies": SubsidiesSettings,
    "support": SupportSettings,
    "privacy": PrivacySettings,
}

#: What each service's refusal must name at least, with .env.example as it is: its database
#: and broker passwords, its secrets, its mail relay (mail-sink, no TLS), orders' sandboxes.
REFUSED = {
    "identity": {"DATABASE_URL", "AMQP_URL", "SUBJECT_KEY", "SECRET_KEY", "SMTP_HOST"},
    "orders": {
        "DATABASE_URL",
        "AMQP_URL",
        "SUBJECT_KEY",
        "PAYMENT_WEBHOOK_SECRET",
        "PSEUDONYM_KEY",
        "SMTP_HOST",
        "PAYMENT_PROVIDER",
        "PARTNER_ADAPTER",
    },
    "subsidies": {"DATABASE_URL", "AMQP_URL", "SUBJECT_KEY", "FIELD_KEY"},
    "support": {"DATABASE_URL", "AMQP_URL", "SUBJECT_KEY"},
    # The DPO's contact is commented out in .env.example: privacy's example defaults apply.
    "privacy": {
        "DATABASE_URL",
        "AMQP_URL",
        "SUBJECT_KEY",
        "ARCHIVE_SECRET",
        "DPO_NAME",
        "DPO_EMAIL",
        "DPO_ADDRESS",
    },
}

#: A variable of .env.example that holds a secret (or a key, or a URL with a password).
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY$|_KEYS$|_URL$")
LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")


def env_example(*, commented: bool) -> dict[str, str]:
    """The variables of .env.example (section 1; with ``commented``, section 2's examples too)."""
    values: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if (match := LINE.match(line)) and (commented or not line.startswith("#")):
            values.setdefault(match[1], match[2])
    return values


def render(env_file: Path) -> dict[str, dict[str, str]]:
    """Each service's container environment, as docker-compose maps ``env_file`` into it."""
    result = subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", "docker-compose.yml", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return {
        name: {
            k: str(v) for k, v in config["services"][name]["environment"].items() if v is not None
        }
        for name in SETTINGS
    }


def load(
    monkeypatch: pytest.MonkeyPatch, service: str, environment: dict[str, str]
) -> ServiceSettings:
    """The service's settings from exactly ``environment`` (nothing of the test's own)."""
    settings_class = SETTINGS[service]
    for field in settings_class.model_fields:
        monkeypatch.delenv(field.upper(), raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return settings_class()


def fresh(name: str) -> str:
    """A generated value: URL-safe for passwords (they go into URLs), 32 bytes in URL-safe
    base64 for keys (the form of the X25519 keys too)."""
    if "PASSWORD" in name:
        return secrets.token_urlsafe(32)
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(scope="module")
def example_environments() -> dict[str, dict[str, str]]:
    return render(ROOT / ".env.example")


@pytest.fixture(scope="module")
def real_environments(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """.env.example with every placeholder replaced by a fresh secret, a TLS mail relay and
    the real DPO's contact."""
    values = env_example(commented=False)
    real = {name: fresh(name) if is_placeholder(value) else value for name, value in values.items()}
    real |= {
        "SMTP_HOST": "smtp.relay.example",
        "SMTP_PORT": "587",
        "SMTP_TLS": "starttls",
        "SMTP_USER": "platform",
        "SMTP_PASSWORD": fresh("SMTP_PASSWORD"),
        "DPO_NAME": "Claire Dupont",
        "DPO_EMAIL": "dpo@client-company.fr",
        "DPO_ADDRESS": "DPO, 12 avenue de la République, 69002 Lyon, France",
    }
    env_file = tmp_path_factory.mktemp("env") / ".env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in real.items()))
    return render(env_file)


@pytest.mark.parametrize("service", SETTINGS)
def test_env_example_is_refused_in_production(
    service: str,
    example_environments: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment = example_environments[service]
    assert environment["ENVIRONMENT"] == "production"
    with pytest.raises(ValidationError) as info:
        load(monkeypatch, service, environment)
    message = str(info.value)
    named = {name for name in re.findall(r"\b[A-Z][A-Z0-9_]+\b", message)}
    assert REFUSED[service] <= named, message
    # Every variable of the container holding a placeholder is named, whatever it is.
    for name, value in environment.items():
        password = urlsplit(value).password if "://" in value else None
        if is_placeholder(value) or (password is not None and is_placeholder(password)):
            assert name in named, (name, message)
    # And no value of .env.example appears in it.
    for name, value in env_example(commented=False).items():
        if SECRET_NAME.search(name):
            assert value not in message, name


@pytest.mark.parametrize("service", SETTINGS)
def test_real_values_start_in_production(
    service: str,
    real_environments: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment = real_environments[service]
    if service != "orders":
        assert load(monkeypatch, service, environment).environment == "production"
        return
    # Orders has no real payment provider or partner adapter yet: production refuses it for
    # those two alone, and staging (production's rehearsal) starts.
    with pytest.raises(ValidationError) as info:
        load(monkeypatch, service, environment)
    problems = str(info.value).split("ENVIRONMENT=production: ", 1)[1].split("; ")
    assert [problem.split("=", 1)[0] for problem in problems] == [
        "PAYMENT_PROVIDER",
        "PARTNER_ADAPTER",
    ]
    staging = load(monkeypatch, service, environment | {"ENVIRONMENT": "staging"})
    assert staging.environment == "staging"


def test_staging_accepts_compose_mail_sink_with_real_secrets(
    real_environments: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pre-production check: compose's stack as staging, with its mail sink."""
    environment = real_environments["identity"] | {
        "ENVIRONMENT": "staging",
        "SMTP_HOST": "mail-sink",
        "SMTP_PORT": "1025",
    }
    for name in ("SMTP_TLS", "SMTP_USER", "SMTP_PASSWORD"):
        environment.pop(name)
    assert load(monkeypatch, "identity", environment).environment == "staging"


def test_every_secret_of_env_example_is_a_placeholder() -> None:
    """A running service knows placeholders by their markers only (it has no .env.example):
    every secret this file gives, in either section, must carry one."""
    checked = 0
    for name, value in env_example(commented=True).items():
        if not SECRET_NAME.search(name) or not value or name.startswith("DEMO_"):
            continue  # DEMO_* are refused whatever their value (kit's tests)
        if name.endswith("_URL"):
            password = urlsplit(value).password
            if password is not None and urlsplit(value).username != "guest":
                assert is_placeholder(password), name
            continue
        if value.startswith(("{", "[")):  # a map or a list of secrets (retired keys)
            parsed: dict[str, str] | list[str] = json.loads(value)
            items = parsed.values() if isinstance(parsed, dict) else parsed
            assert all(is_placeholder(v) for v in items), name
        else:
            assert is_placeholder(value), name
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_backups_refuse_a_placeholder_key(
    monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.setenv("BACKUP_KEY", "change-me-backup-key")
    with pytest.raises(SystemExit, match="BACKUP_KEY is a placeholder"):
        cipher()
    monkeypatch.setenv("BACKUP_KEY", fresh("BACKUP_KEY"))
    assert cipher() is not None
