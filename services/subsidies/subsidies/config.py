"""Subsidies settings from the environment (see .env.example)."""

from functools import lru_cache

from pydantic import SecretStr

from kit.settings import DEV_SECRET_MARKER, ServiceSettings
from subsidies.accounting.chart import Chart


class Settings(ServiceSettings):
    service_name: str = "subsidies"
    #: Encrypts IBAN, BIC and account holder, per field (AES-256-GCM, key = SHA-256 of this).
    field_key: SecretStr = SecretStr(DEV_SECRET_MARKER + "field-key")
    #: The id written before each ciphertext; change it with the key to rotate.
    field_key_id: str = "k1"
    #: Keys being retired, still read until the worker has re-encrypted every row:
    #: ``{"k1": "old secret"}`` while ``FIELD_KEY``/``FIELD_KEY_ID`` hold the new one.
    retired_field_keys: dict[str, SecretStr] = {}
    #: A SEPA mandate with no collection for this long lapses (EPC rulebook: 36 months).
    mandate_lapse_months: int = 36
    #: A subsidy reserved for an order that never got placed is released after this.
    hold_minutes: int = 15
    #: Subsidies granted are works-council accounting records.
    grant_retention_years: int = 10
    #: Bookings are sales: the commercial limitation period.
    booking_retention_years: int = 5
    #: Statistics never show a group of fewer people than this (k-anonymity).
    k_anonymity: int = 5
    #: The largest tax notice an employee may send for the family quotient (PDF, PNG, JPEG).
    quotient_document_max_bytes: int = 5_000_000
    #: A checked family-quotient declaration (bracket, tax year, who checked, the notice's
    #: SHA-256) is kept this long after its tax year: URSSAF may check works council benefits
    #: over 3 years (Code de la sécurité sociale L244-3).
    quotient_proof_years: int = 3
    #: Gift campaigns (``campaigns``): the plafond mensuel de la sécurité sociale of each year,
    #: in cents (2026: 4 005 €, BOSS communiqué of 21 October 2025; docs/subsidies.md).
    pmss_cents: dict[int, int] = {2025: 392_500, 2026: 400_500}
    #: URSSAF "bons d'achat et cadeaux": the share of the PMSS exempt per event, per employee
    #: (or per child, for the events counted per child) and per calendar year.
    gift_exemption_percent: int = 5
    #: The events URSSAF lists, each with what its limit counts: ``employee`` or ``child``.
    gift_events: dict[str, str] = {
        "birth": "employee",
        "adoption": "employee",
        "wedding": "employee",
        "civil_partnership": "employee",
        "retirement": "employee",
        "mothers_day": "employee",
        "fathers_day": "employee",
        "saint_catherine": "employee",
        "saint_nicholas": "employee",
        "christmas": "employee",
        "christmas_children": "child",
        "back_to_school": "child",
    }
    #: The chart of accounts, journals and budgets of the entries (JSON; docs/subsidies.md).
    accounting_chart: Chart = Chart()
    #: Accounting records are kept 10 years (Code de commerce L123-22).
    accounting_retention_years: int = 10
    #: The entries are dated in the works council's time (an order paid at 23:30 UTC on 30 June
    #: is a 1 July entry in Paris).
    accounting_timezone: str = "Europe/Paris"
    #: The longest period one export covers (a first financial year may run 24 months).
    accounting_max_period_days: int = 731


@lru_cache
def get_settings() -> Settings:
    return Settings()
