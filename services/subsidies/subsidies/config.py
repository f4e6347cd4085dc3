"""Subsidies settings from the environment (see .env.example)."""

from functools import lru_cache

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "subsidies"


@lru_cache
def get_settings() -> Settings:
    return Settings()
