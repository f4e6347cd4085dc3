"""Privacy settings from the environment (see .env.example)."""

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr, field_validator, model_validator

from kit.settings import DEV_SECRET_MARKER, ServiceSettings

#: The DPO contact of a local run: a placeholder production refuses (Art. 37(7): the people
#: and the authority must reach the real one).
EXAMPLE_DPO = {
    "dpo_name": "Data Protection Officer",
    "dpo_email": "dpo@example.test",
    "dpo_address": "DPO, 1 rue de l'Exemple, 75000 Paris, France",
}


class Settings(ServiceSettings):
    service_name: str = "privacy"
    #: The registry: every service that can hold personal data. A request goes to each of
    #: them and to any other service the data map names for the person.
    participants: list[str] = ["identity", "orders", "subsidies", "support"]
    #: The service holding the account: an erasure reaches it last.
    account_service: str = "identity"
    #: Export archives (encrypted) and the key that seals services' answers to us.
    exports_dir: Path | None = None
    keys_dir: Path | None = None
    #: Encrypts export archives at rest (AES-256-GCM, key derived from this secret).
    archive_secret: SecretStr = SecretStr(DEV_SECRET_MARKER + "archive-secret")
    archive_days: int = 7
    #: The private key services seal exports to (python -m privacy.keys new); unset, a key made
    #: in ``keys_dir`` (a local run). Retired keys stay readable until their answers are in.
    seal_private_key: SecretStr | None = None
    retired_seal_keys: list[SecretStr] = []
    #: The erasure journal: one line (keyed hash, time) per erased person, outside every
    #: database, so that a restore of any database (privacy's included) can be followed by
    #: erasing them again. Keep it as long as the oldest backup.
    journal_path: Path | None = None
    #: A service that has not answered a command after this long gets it again.
    retry_seconds: float = 10.0
    max_extension_months: int = 2
    #: The gateway's public URL(s); links in mails (unsubscribe) use the first.
    public_origins: list[str] = ["https://localhost:8443"]
    #: The audit trail of accesses to people's data by others (PR10) is kept this long.
    audit_retention_days: int = 365
    #: A consent event is the proof of a choice: kept this long after the choice stops being
    #: in force (the person's next choice, or the withdrawal), the limitation period of a
    #: claim over it (Code civil, art. 2224: five years), then deleted (docs/privacy.md).
    consent_proof_years: int = 5
    #: The DPO's contact, published (``GET /api/privacy/dpo``, the register, archives, breach
    #: notices: Art. 37(7) GDPR). Never empty; production refuses these example defaults.
    dpo_name: str = EXAMPLE_DPO["dpo_name"]
    dpo_email: str = EXAMPLE_DPO["dpo_email"]
    dpo_address: str = EXAMPLE_DPO["dpo_address"]

    @field_validator("dpo_name", "dpo_email", "dpo_address")
    @classmethod
    def _dpo_contact(cls, value: str) -> str:
        """Art. 37(7): a contact published to everyone is never empty."""
        value = value.strip()
        if not value:
            raise ValueError("the DPO's contact is published (Art. 37(7) GDPR): set it")
        return value

    @field_validator("dpo_email")
    @classmethod
    def _dpo_email(cls, value: str) -> str:
        local, _, domain = value.partition("@")
        if not local or "." not in domain or any(c.isspace() for c in value):
            raise ValueError("DPO_EMAIL: not an email address")
        return value

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.environment == "production":
            examples = [
                name.upper()
                for name, example in EXAMPLE_DPO.items()
                if getattr(self, name) == example
            ]
            if examples:
                problems.append(
                    ", ".join(examples) + ": the example DPO contact; set the real one, "
                    "published to people and the authority (Art. 37(7) GDPR)"
                )
        return problems

    @property
    def public_origin(self) -> str:
        return self.public_origins[0]

    @model_validator(mode="after")
    def _folders(self) -> "Settings":
        if self.exports_dir is None:
            self.exports_dir = self.var_dir / "exports"
        if self.keys_dir is None:
            self.keys_dir = self.var_dir / "keys" / "privacy"
        if self.journal_path is None:
            self.journal_path = self.var_dir / "journal" / "erasures.jsonl"
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
