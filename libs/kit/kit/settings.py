"""Settings base shared by every service: environment variables with safe development defaults.

Each service runs in its own process with its own environment, so variable names carry no
service prefix (``DATABASE_URL``, ``AMQP_URL``...). See ``.env.example`` at the repository root.
"""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Every development default secret starts with this marker; production refuses it.
DEV_SECRET_MARKER = "dev-insecure-"  # noqa: S105 (the marker production refuses)

Environment = Literal["development", "test", "production"]


def repo_var_dir() -> Path:
    """Where a local run writes everything (databases, keys, logs): ``var/`` at the repo root."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "Makefile").exists() and (parent / "services").is_dir():
            return parent / "var"
    return Path.cwd() / "var"


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses add their own fields and a ``service_name``."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = "service"
    environment: Environment = "development"
    var_dir: Path = repo_var_dir()
    database_url: str = ""
    #: PostgreSQL connections of the API process (its worker takes half): with five services
    #: of two processes each, 6 + 2 per API and 3 + 1 per worker stay far below the server's
    #: default of 100 connections. Size them to ``max_connections`` (or a pooler) in production.
    #: The worker's Prometheus endpoint (``/metrics``): 0 leaves it off. Each worker needs its
    #: own port; ``make run`` gives each one the service's port + 100.
    worker_metrics_port: int = 0
    worker_metrics_host: str = "127.0.0.1"
    db_pool_size: int = 6
    db_max_overflow: int = 2
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    events_exchange: str = "events"
    #: Fallback poll of the outbox; the relay is woken at once after each commit anyway.
    relay_poll_seconds: float = 2.0
    #: Where the identity service publishes the keys that sign the gateway's internal tokens.
    jwks_url: str = "http://127.0.0.1:8101/.well-known/jwks.json"
    jwt_issuer: str = "identity"
    jwt_audience: str = "platform"
    log_level: str = "INFO"
    #: Where mail goes: the local sink of `make run`, or the provider's relay in production.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_from: str = "Avantages CSE <no-reply@benefits.example>"
    #: Shared by every service: keys the non-reversible hash that remembers erased people,
    #: so erasures can be re-applied after a backup is restored.
    subject_key: SecretStr = SecretStr(DEV_SECRET_MARKER + "subject-key")

    @model_validator(mode="after")
    def _defaults_and_production_guard(self) -> "ServiceSettings":
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.var_dir / 'db' / self.service_name}.db"
        if self.environment == "production":
            self._refuse_development_values()
        return self

    def _refuse_development_values(self) -> None:
        problems = [
            name.upper()
            for name, value in self.__dict__.items()
            if isinstance(value, SecretStr)
            and value.get_secret_value().startswith(DEV_SECRET_MARKER)
        ]
        if "guest:guest@" in self.amqp_url:
            problems.append("AMQP_URL (guest account)")
        if self.database_url.startswith("sqlite"):
            problems.append("DATABASE_URL (SQLite is for local runs only)")
        if problems:
            raise ValueError(
                "refusing to start in production with development values: " + ", ".join(problems)
            )
