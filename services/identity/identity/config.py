"""Identity settings from the environment (see .env.example)."""

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr, model_validator

from kit.settings import DEV_SECRET_MARKER, ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "identity"
    #: Ed25519 signing keys of the internal tokens; the newest signs, all are published.
    keys_dir: Path | None = None
    #: Key of the HMACs of CSRF tokens and login-throttle keys; production refuses the default.
    secret_key: SecretStr = SecretStr(DEV_SECRET_MARKER + "identity-secret-key")
    session_hours: int = 24
    internal_token_seconds: int = 120
    #: The gateway's check of a session hands out the same internal tokens for this long
    #: (``SigningKeys.sign_reused``; at most half of ``internal_token_seconds``): the session is
    #: checked on every call, only the signing (and each service's verification) is saved.
    internal_token_reuse_seconds: int = 30
    #: A staff session (admin, DPO, agent) with no request for this long ends (ASVS 7.3).
    staff_idle_minutes: int = 30
    #: The services the gateway gets internal tokens for: each is a token audience.
    audiences: list[str] = ["identity", "orders", "subsidies", "support", "privacy"]
    #: Who may call whom on a person's behalf (token exchange, ``identity.tokens``): caller ->
    #: the services it may get a token for. Orders reserves subsidies and reads the buyer's
    #: email; privacy looks accounts up for a DPO; subsidies lists a tenant admin's employees
    #: (ids) for a gift campaign.
    token_exchanges: dict[str, list[str]] = {
        "orders": ["subsidies", "identity"],
        "privacy": ["identity"],
        "subsidies": ["identity"],
    }
    #: Origins allowed to send cookie-authenticated unsafe requests (the gateway's public URL).
    public_origins: list[str] = ["https://localhost:8443"]
    #: Failed sign-ins (passwords and second-step codes) of one account, or of one device
    #: token, before each further attempt must wait (the wait doubles).
    login_free_failures: int = 5
    login_lock_base_seconds: float = 1.0
    login_max_lock_seconds: float = 900
    #: A counter with no new failure for this long starts again from zero, so nobody can keep
    #: an account locked for ever with one attempt now and then.
    login_forget_seconds: int = 3600
    #: A browser that signed in keeps a device cookie this long (``identity.devices``): with
    #: it, the owner still gets in while the account is locked for everyone else.
    device_days: int = 90
    #: argon2id cost: OWASP minimum (19 MiB, t=2, p=1), ~40 ms on the reference machine.
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    #: A password-reset link works this long, once.
    reset_minutes: int = 30
    #: An invitation to set a first password (employee import) works this long, once.
    invite_days: int = 7
    #: The second step of a login must come within this time, in at most this many tries.
    mfa_minutes: int = 5
    mfa_attempts: int = 5
    #: Issuer shown by authenticator apps.
    totp_issuer: str = "Avantages CSE"
    #: The demo staff accounts of a local run are enrolled with this TOTP secret (base32);
    #: refused in production, like every demo value.
    demo_totp_secret: str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (demo only)
    #: After this many days without login the person is warned by email, and the account is
    #: erased (through a data-subject request) ``inactivity_grace_days`` later unless they log in.
    inactivity_warn_days: int = 730
    inactivity_grace_days: int = 30
    #: How often the worker looks for inactive accounts.
    inactivity_check_seconds: float = 3600

    #: Sign-in with the employer's directory (``identity.oidc``): a sign-in sent to the
    #: provider must come back within this time, once.
    oidc_login_minutes: int = 10
    #: The providers' discovery documents and keys are read again after this long (and the
    #: keys at once, within seconds, when a token names a key not seen yet).
    oidc_cache_seconds: int = 3600
    oidc_http_timeout_seconds: float = 5.0
    #: The whole of one call to a provider (connection, answer, body) ends within this: one
    #: tenant's slow provider cannot hold identity's workers.
    oidc_deadline_seconds: float = 10.0
    #: A provider's discovery document, keys or token answer is cut beyond this many bytes.
    oidc_max_response_bytes: int = 256 * 1024
    #: Clock difference tolerated on an ID token's ``exp`` and ``iat``.
    oidc_clock_leeway_seconds: int = 60
    #: Plain-HTTP issuers and endpoints (the tests' provider on loopback); production refuses.
    oidc_allow_http: bool = False

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.oidc_allow_http:
            problems.append("OIDC_ALLOW_HTTP: an OpenID provider is reached over HTTPS only")
        return problems

    @model_validator(mode="after")
    def _keys_dir_default(self) -> "Settings":
        if self.keys_dir is None:
            self.keys_dir = self.var_dir / "keys" / "identity"
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
