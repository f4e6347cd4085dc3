"""Support settings from the environment (see .env.example)."""

from functools import lru_cache

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "support"
    #: A closed ticket and its messages are deleted this many days after closing.
    closed_ticket_retention_days: int = 730
    #: A ticket left ``resolved`` this many days without a word is closed (and its retention
    #: starts), so a ticket nobody closes is not kept for ever.
    resolved_ticket_close_days: int = 30
    #: A prospective partner's contact details are deleted this many years after the last
    #: contact (the CNIL's rule for prospects).
    partner_contact_retention_years: int = 3
    #: How often the worker runs the support retention jobs.
    support_purge_seconds: float = 3600


@lru_cache
def get_settings() -> Settings:
    return Settings()
