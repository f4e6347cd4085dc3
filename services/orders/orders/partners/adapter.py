"""The fulfilment-partner port and its sandbox adapter (OR5).

A partner (the ticketing system, the gift-card issuer, the parcel carrier) gets only what it
needs to deliver: an e-ticket or a voucher a pseudonymous holder reference, a parcel a name and
a delivery address (``service.py``). Each partner sees its own pseudonymous order reference,
keyed per partner, so two partners cannot link their orders to each other or to ours
(``pseudonyms.py``).

Messages to partners go through the outbox (``partner.message``), so an order paid, an erasure
or a rectification reaches the partner even when it is away for a while (Art. 19). Their types:
``MessageType``. A delivery and a rectification name one ``reference``; an erasure, a
restriction and its lifting name every reference of the person that partner holds
(``references``), in one message.
"""

import asyncio
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol


class MessageType(StrEnum):
    """What a message asks of a partner."""

    #: Deliver these items (to this holder reference or recipient).
    FULFIL = "fulfil"
    #: Forget this reference (Art. 17 and 19).
    ERASE = "erase"
    #: A new recipient for this reference (Art. 16 and 19).
    RECTIFY = "rectify"
    #: Keep, do not use (Art. 18), then the lifting of it.
    RESTRICT = "restrict"
    LIFT_RESTRICTION = "lift_restriction"


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
        if message["type"] != MessageType.FULFIL:
            return Ack()
        digest = hashlib.sha256(str(message["reference"]).encode()).hexdigest()[:12]
        return Ack(tracking=f"TRK{digest.upper()}")

    def _write(self, partner: str, message: dict[str, Any]) -> None:
        folder = self.directory / _safe(partner)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Erasure and restriction name all of a person's references at once: a file each,
        # as the partner would act on each of its records.
        references = message.get("references") or [message["reference"]]
        for reference in references:
            one = {k: v for k, v in message.items() if k != "references"} | {"reference": reference}
            path = folder / f"{_safe(str(reference))}.{_safe(str(message['type']))}.json"
            temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
            temporary.write_text(json.dumps(one, indent=2, ensure_ascii=False))
            os.replace(temporary, path)


def _safe(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "-_") or "_"
