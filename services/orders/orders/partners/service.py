"""After payment, the fulfilment partners; and Art. 19.

A paid order goes to one message per partner involved, through the outbox, with only what that
partner needs. Each message is recorded as a disclosure. Once every partner has acknowledged
its part, the order is ``fulfilled`` and the buyer gets the shipping mail. When the person's
data is erased, restricted or rectified, each partner that received some is told, through the
outbox too.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.mail import queue_mail
from kit.privacy.participant import Hook
from orders.base import PARTNER_KEY, Event, events
from orders.config import Settings
from orders.offers.models import OfferKind
from orders.orders import repository as orders
from orders.orders.models import RECIPIENT_FIELDS, Order, OrderStatus
from orders.orders.service import announce
from orders.partners import repository
from orders.partners.adapter import FulfilmentPartners, MessageType
from orders.partners.models import DISCLOSED, Disclosure
from orders.partners.pseudonyms import Pseudonyms


@dataclass(frozen=True)
class Fulfilment:
    """Which partner delivers each kind of offer (none: the works council delivers it
    itself), and the keyed references they get."""

    partners: Mapping[str, str]
    pseudonyms: Pseudonyms

    @classmethod
    def from_settings(cls, settings: Settings) -> "Fulfilment":
        key = settings.pseudonym_key.get_secret_value().encode()
        return cls(dict(settings.partners), Pseudonyms(key))


async def send_to_partners(
    db: AsyncSession, order: Order, fulfilment: Fulfilment, *, now: datetime
) -> None:
    """What each partner needs to deliver a paid order, recorded as a disclosure."""
    by_partner: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for line in order.items:
        kind = str(line.get("kind", OfferKind.VOUCHER))
        partner = fulfilment.partners.get(kind)
        if partner is None:
            continue  # delivered by the works council itself: nothing leaves the platform
        by_partner.setdefault((partner, kind), []).append(
            {"title": line["title"], "quantity": line["quantity"]}
        )
    for (partner, kind), items in sorted(by_partner.items()):
        reference = fulfilment.pseudonyms.order(partner, order.id)
        message: dict[str, Any] = {
            "type": MessageType.FULFIL,
            "reference": reference,
            "items": items,
        }
        if kind == OfferKind.GOODS:
            message["recipient"] = order.recipient()
        else:
            message["holder"] = fulfilment.pseudonyms.holder(partner, order.user_id)
        disclosure = Disclosure(
            order_id=order.id,
            tenant_id=order.tenant_id,
            user_id=order.user_id,
            kind=kind,
            partner=partner,
            reference=reference,
            categories=DISCLOSED[OfferKind(kind)],
            sent_at=now,
        )
        db.add(disclosure)
        await db.flush()
        await _to_partner(db, order.tenant_id, partner, message, disclosure_id=disclosure.id)


async def _to_partner(
    db: AsyncSession,
    tenant: str,
    partner: str,
    message: dict[str, Any],
    *,
    disclosure_id: str | None = None,
) -> None:
    await events.add(
        db,
        Event.PARTNER_MESSAGE,
        tenant=tenant,
        payload={"partner": partner, "message": message, "disclosure_id": disclosure_id},
        routing_key=PARTNER_KEY,
    )


async def deliver(
    db: AsyncSession,
    partners: FulfilmentPartners,
    payload: dict[str, Any],
    clock: Callable[[], datetime],
) -> None:
    """Hand a ``partner.message`` to its partner (errors propagate, so the consumer retries
    while the partner is away), then record its answer."""
    message: dict[str, Any] = payload["message"]
    disclosure = None
    if message["type"] == MessageType.FULFIL:
        disclosure = await repository.disclosure(db, str(payload["disclosure_id"]))
        if disclosure is None:
            return  # the person's data was erased meanwhile: the partner never gets it
    ack = await partners.send(str(payload["partner"]), message)
    if disclosure is not None and disclosure.acknowledged_at is None:
        # The order's row is locked first: two partners answering at once for the same
        # order are taken one after the other, so the second sees the first's answer.
        order = await orders.order_by_id(db, disclosure.order_id, lock=True)
        disclosure.acknowledged_at = clock()
        disclosure.tracking = ack.tracking
        await db.flush()
        if order is not None:
            await _fulfilled_when_all_acknowledged(db, order)


async def _fulfilled_when_all_acknowledged(db: AsyncSession, order: Order) -> None:
    parts = await repository.disclosures_of_order(db, order.id)
    if order.status != OrderStatus.PAID or any(p.acknowledged_at is None for p in parts):
        return
    order.status = OrderStatus.FULFILLED
    await announce(db, order)
    await queue_mail(db, events, to=order.email, tenant=order.tenant_id, **shipped(order, parts))


def shipped(order: Order, parts: Sequence[Disclosure]) -> dict[str, str]:
    """The shipping mail (French first, then English)."""
    tracking = "\n".join(f"  - {p.partner}: {p.tracking}" for p in parts if p.tracking)
    return {
        "subject": f"Commande {order.id[:8]} expédiée / Order {order.id[:8]} shipped",
        "text": (
            f"Bonjour,\n\nVotre commande {order.id} est expédiée.\n{tracking}\n\n"
            f"Hello,\n\nYour order {order.id} is on its way.\n"
        ),
    }


# -- Art. 19: erasure, restriction and rectification reach the recipients --------------------


def tell_recipients(message_type: MessageType) -> Hook:
    """A hook that sends ``{type, references}`` to each partner that received some of the
    person's data: ``erase`` before their rows go, ``restrict`` (Art. 18: keep, do not use)
    and ``lift_restriction``."""

    async def tell(
        db: AsyncSession, subject: str, _payload: dict[str, Any], _now: datetime
    ) -> dict[str, Any]:
        parts = await repository.disclosures_to_person(db, subject)
        # One message per partner, naming each of its references: a person's three years of
        # orders make a few dozen disclosures, and a message each cost as many deliveries
        # (and outbox rows) for every erasure.
        grouped: dict[tuple[str, str], list[str]] = {}
        for part in parts:
            grouped.setdefault((part.tenant_id, part.partner), []).append(part.reference)
        for (tenant, partner), references in sorted(grouped.items()):
            message = {"type": message_type, "references": sorted(set(references))}
            await _to_partner(db, tenant, partner, message)
        return {"recipients_told": sorted({p.partner for p in parts})}

    return tell


tell_recipients_to_erase = tell_recipients(MessageType.ERASE)


async def tell_recipients_of_rectification(
    db: AsyncSession, subject: str, payload: dict[str, Any], _now: datetime
) -> dict[str, Any]:
    """A corrected delivery address goes to the partners that have the old one."""
    corrections = dict(payload.get("corrections") or {}).get("orders", {}).get("orders", {})
    overlay = {
        field: str(value).strip()
        for field in RECIPIENT_FIELDS
        if (value := corrections.get(f"delivery_{field}")) is not None and str(value).strip()
    }
    if not overlay:
        return {}
    parts = await repository.disclosures_to_person(db, subject, kind=OfferKind.GOODS)
    for part in parts:
        order = await orders.order_by_id(db, part.order_id)
        if order is None:
            continue
        message = {"type": MessageType.RECTIFY, "reference": part.reference}
        await _to_partner(
            db, part.tenant_id, part.partner, message | {"recipient": order.recipient(overlay)}
        )
    return {"recipients_told": sorted({p.partner for p in parts})}
