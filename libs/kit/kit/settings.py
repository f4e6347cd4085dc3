"""Settings base shared by every service: environment variables with safe development defaults.

Each service runs in its own process with its own environment, so variable names carry no
service prefix (``DATABASE_URL``, ``AMQP_URL``...). See ``.env.example`` at the repository root.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Every development default secret starts with this marker; production refuses it.
DEV_SECRET_MARKER = "dev-insecure-"  # noqa: S105 (the marker production refuses)
#: What a placeholder starts with: the development defaults and every secret of
#: ``.env.example`` (a test keeps that file to these markers). A running service checks the
#: markers, not the file, which it does not ship with.
PLACEHOLDER_MARKERS = (DEV_SECRET_MARKER, "change-me")

#: ``staging`` is production's rehearsal: every production rule except that it allows the
#: sandboxes (payment provider, fulfilment partners) and a mail sink without TLS, so that an
#: operator can run the compose stack, with real secrets, before any real provider exists.
Environment = Literal["development", "test", "staging", "production"]
PRODUCTION_LIKE: frozenset[str] = frozenset({"staging", "production"})

#: A relay on the machine itself: mail to it never crosses a network.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

SmtpTls = Literal["off", "starttls", "implicit"]


def is_placeholder(value: str) -> bool:
    """A development default or a value copied from ``.env.example``: not a secret."""
    return value.strip().lower().startswith(PLACEHOLDER_MARKERS)


def _secrets(value: object) -> Iterator[SecretStr]:
    """The secrets a setting holds: itself, or the values of a map or list of secrets
    (``RETIRED_FIELD_KEYS``)."""
    if isinstance(value, SecretStr):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secrets(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secrets(item)


def repo_var_dir() -> Path:
    """Where a local run writes everything (databases, keys, logs): ``var/`` at the repo root."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "Makefile").exists() and (parent / "services").is_dir():
            return parent / "var"
    return Path.cwd() / "var"


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses add their own fields and a ``service_name``."""

    #: A refusal names the variables; the values (secrets, URLs with passwords) never appear.
    model_config = SettingsConfigDict(env_file=None, extra="ignore", hide_input_in_errors=True)

    service_name: str = "service"
    environment: Environment = "development"
    var_dir: Path = repo_var_dir()
    database_url: str = ""
    #: The worker's Prometheus endpoint (``/metrics``): 0 leaves it off. Each worker needs its
    #: own port; ``make run`` gives each one the service's port + 100.
    worker_metrics_port: int = 0
    worker_metrics_host: str = "127.0.0.1"
    #: PostgreSQL connections of the API process (its worker takes half): with five services
    #: of two processes each, 10 + 2 per API and 5 + 1 per worker are at most 90 of the server's
    #: default of 100 connections (69-75 at the peak of ``make load`` at 78 operations/s).
    #: With 6 + 2, more transactions were open at once than the pool kept near the two cores'
    #: limit, and a pool closes an overflow connection when it comes back to a full pool:
    #: PostgreSQL opened 8.6 sessions a second against 1.2, and p99 at 78 operations/s was
    #: 468-681 ms against 198-367 ms (docs/performance.md, "2026-12-05 morning"). Size
    #: them to ``max_connections`` (or a pooler) in production.
    db_pool_size: int = 10
    db_max_overflow: int = 2
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    events_exchange: str = "events"
    #: Fallback poll of the outbox; the relay is woken at once after each commit anyway.
    relay_poll_seconds: float = 2.0
    #: Where the identity service publishes the keys that sign the gateway's internal tokens.
    jwks_url: str = "http://127.0.0.1:8101/.well-known/jwks.json"
    #: The services this one may call (``kit.clients``), on the internal network.
    identity_url: str = "http://127.0.0.1:8101"
    subsidies_url: str = "http://127.0.0.1:8103"
    jwt_issuer: str = "identity"
    jwt_audience: str = "platform"
    log_level: str = "INFO"
    #: Where mail goes: the local sink of `make run`, or the provider's relay in production.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_from: str = "Avantages CSE <no-reply@benefits.example>"
    #: TLS to the relay: ``starttls`` (port 587), ``implicit`` (port 465) or ``off``. Mails
    #: carry reset links and login codes: production refuses ``off`` for a relay that is not
    #: on the machine, and refuses TLS without an account (``SMTP_USER``, ``SMTP_PASSWORD``).
    smtp_tls: SmtpTls = "off"
    smtp_user: str = ""
    smtp_password: SecretStr | None = None
    #: Demo seeding of a local run (identity's demo accounts and their TOTP secret): set in
    #: staging or production, the service refuses to start.
    demo_password: SecretStr | None = None
    demo_totp_secret: str | None = None
    #: Shared by every service: keys the non-reversible hash that remembers erased people,
    #: so erasures can be re-applied after a backup is restored.
    subject_key: SecretStr = SecretStr(DEV_SECRET_MARKER + "subject-key")
    #: The privacy service's public X25519 key (python -m privacy.keys public): every service
    #: seals the data it exports for a data-subject request to this key, and to no key a
    #: message names. Rotation: privacy keeps its retired keys readable (docs/privacy.md).
    privacy_seal_key: str = ""

    @property
    def production_like(self) -> bool:
        """Production's rules apply: production, and staging (its rehearsal)."""
        return self.environment in PRODUCTION_LIKE

    @property
    def smtp_is_local(self) -> bool:
        return self.smtp_host.strip().strip("[]").lower() in LOCAL_HOSTS

    @model_validator(mode="after")
    def _defaults_and_production_guard(self) -> "ServiceSettings":
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.var_dir / 'db' / self.service_name}.db"
        if self.smtp_tls == "off" and self.smtp_user and not self.smtp_is_local:
            # In every environment: smtplib would send the password in clear.
            raise ValueError(
                "SMTP_USER is set but SMTP_TLS=off: the relay's password would cross the network "
                "in clear (set SMTP_TLS=starttls or implicit)"
            )
        if self.production_like and (problems := self.production_problems()):
            raise ValueError(
                f"refusing to start with ENVIRONMENT={self.environment}: " + "; ".join(problems)
            )
        return self

    def production_problems(self) -> list[str]:
        """What production (and staging) refuse, one line per problem, each naming the
        variable(s) and never a value. Services add theirs by overriding it (``super()``)."""
        problems: list[str] = []
        placeholders = [name.upper() for name, value in self if _has_placeholder(value)]
        if placeholders:
            problems.append(
                ", ".join(placeholders) + ": a placeholder (a value starting with "
                f"{' or '.join(repr(m) for m in PLACEHOLDER_MARKERS)}, as in .env.example) or "
                "an empty secret, generate real values"
            )
        for name, value in self:
            if (
                isinstance(value, str)
                and name.endswith("_url")
                and _url_password_placeholder(value)
            ):
                problems.append(f"{name.upper()}: its password is a placeholder")
        if urlsplit(self.amqp_url).username == "guest":
            problems.append("AMQP_URL: the guest account")
        if self.database_url.startswith("sqlite"):
            problems.append("DATABASE_URL: SQLite is for local runs only")
        demo = [
            name.upper()
            for name in ("demo_password", "demo_totp_secret")
            if name in self.model_fields_set
        ]
        if demo:
            problems.append(", ".join(demo) + ": demo seeding is for local runs only, unset it")
        if self.environment == "production":
            problems += self._smtp_problems()
        return problems

    def _smtp_problems(self) -> list[str]:
        """Reset links and login codes must not cross a network in clear: a relay on this
        machine, or TLS with an account. (Staging may use compose's mail sink.)"""
        if self.smtp_is_local:
            return []
        missing = []
        if self.smtp_tls == "off":
            missing.append("SMTP_TLS=starttls or implicit")
        if not self.smtp_user:
            missing.append("SMTP_USER")
        if self.smtp_password is None:
            missing.append("SMTP_PASSWORD")
        if not missing:
            return []
        return [
            "SMTP_HOST: a relay that is not local (127.0.0.1, localhost, ::1) needs TLS with an "
            "account, set " + ", ".join(missing)
        ]


def _has_placeholder(value: object) -> bool:
    """A secret empty or a placeholder, or any other text still a placeholder (a public key
    copied from ``.env.example``: nothing that starts so is ever a real setting)."""
    if isinstance(value, str):
        return is_placeholder(value)
    return any(
        not secret.get_secret_value() or is_placeholder(secret.get_secret_value())
        for secret in _secrets(value)
    )


def _url_password_placeholder(url: str) -> bool:
    try:
        password = urlsplit(url).password
    except ValueError:
        return False
    return password is not None and (not password or is_placeholder(unquote(password)))
