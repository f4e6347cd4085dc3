"""The fulfilment-partner port and its sandbox adapter (OR5).

A partner (the ticketing system, the gift-card issuer, the parcel carrier) gets only what it
needs to deliver: an e-ticket or a voucher a pseudonymous holder reference, a parcel a name and
a delivery address. Each partner sees its own pseudonymous order reference, keyed per partner,
so two partners cannot link their orders to each other or to ours.

Messages to partners go through the outbox (``partner.message``), so an order paid, an erasure
or a rectification reaches the partner even when it is away for a while (Art. 19). Types:
``fulfil`` (what to deliver), ``erase`` (forget this reference), ``rectify`` (new recipient).
"""

import asyncio
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

PARTNER_MESSAGE = "partner.message"
PARTNER_KEY = f"{PARTNER_MESSAGE}.orders"

#: What each kind of offer discloses to its partner (the recipients record says the same).
DISCLOSED = {
    "ticket": ["pseudonymous holder reference", "items"],
    "voucher": ["pseudonymous holder reference", "items"],
    "goods": ["name", "delivery address", "items"],
}


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


@dataclass(frozen=True)
class Ack:
    """The partner's answer to a message: its tracking reference for a delivery."""

    tracking: str | None = None


class FulfilmentPartners(Protocol):
    async def send(self, partner: str, message: dict[str, Any]) -> Ack: ...


class SandboxPartners:
    """Partners that accept every message and keep it as a file: ``<dir>/<partner>/<reference>
    .<type>.json``. Sending the same message again rewrites the same file, like a real partner
    that deduplicates on the reference; the tracking number is stable for a reference too."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, partner: str, message: dict[str, Any]) -> Ack:
        await asyncio.to_thread(self._write, partner, message)
        if message["type"] != "fulfil":
            return Ack()
        digest = hashlib.sha256(str(message["reference"]).encode()).hexdigest()[:12]
        return Ack(tracking=f"TRK{digest.upper()}")

    def _write(self, partner: str, message: dict[str, Any]) -> None:
        folder = self.directory / _safe(partner)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{_safe(str(message['reference']))}.{_safe(str(message['type']))}.json"
        temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        temporary.write_text(json.dumps(message, indent=2, ensure_ascii=False))
        os.replace(temporary, path)


def _safe(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "-_") or "_"
