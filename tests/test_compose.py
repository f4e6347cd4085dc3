"""docker-compose.yml: valid, refuses to start without secrets, exposes only the gateway."""

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker-compose", *args], cwd=ROOT, capture_output=True, text=True, env=env, check=False
    )


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    result = compose("--env-file", ".env.example", "-f", "docker-compose.yml", "config")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = yaml.safe_load(result.stdout)
    return parsed


def test_compose_refuses_to_start_without_secrets() -> None:
    result = compose("-f", "docker-compose.yml", "config", "-q", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_only_the_gateway_is_published(config: dict[str, Any]) -> None:
    published = {name for name, svc in config["services"].items() if svc.get("ports")}
    assert published == {"gateway"}
    assert config["networks"]["internal"].get("internal") is True
    for name in ("postgres", "rabbitmq", "identity"):
        assert config["services"][name]["networks"] == {"internal": None} or list(
            config["services"][name]["networks"]
        ) == ["internal"]


def test_services_run_in_production_mode_with_one_database_each(config: dict[str, Any]) -> None:
    identity = config["services"]["identity"]["environment"]
    assert identity["ENVIRONMENT"] == "production"
    assert identity["DATABASE_URL"].startswith("postgresql+asyncpg://identity:")
    assert identity["DATABASE_URL"].endswith("@postgres:5432/identity")
    assert "healthcheck" in config["services"]["identity"]
