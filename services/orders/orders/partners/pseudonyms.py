"""The references each fulfilment partner gets: ``HMAC(HMAC(key, partner), value)``."""

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class Pseudonyms:
    """References that are stable for one partner and unlinkable across partners."""

    key: bytes

    def _mac(self, partner: str, purpose: str, value: str) -> str:
        partner_key = hmac.new(self.key, f"partner:{partner}".encode(), hashlib.sha256).digest()
        return hmac.new(partner_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def order(self, partner: str, order_id: str) -> str:
        return "ord_" + self._mac(partner, "order", order_id)[:24]

    def holder(self, partner: str, user_id: str) -> str:
        return "hld_" + self._mac(partner, "holder", user_id)[:24]
