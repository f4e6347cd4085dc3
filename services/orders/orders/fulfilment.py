"""After payment: the invoice, the fulfilment partners, the shipping mail; and Art. 19.

A paid order gets its invoice (numbered per tenant and year, without gaps) and one message per
partner involved, through the outbox, with only what that partner needs (``partners.py``).
Each message is recorded as a disclosure. Once every partner has acknowledged its part, the
order is ``fulfilled`` and the buyer gets the shipping mail. When the person's data is erased or
rectified, each partner that received some is told, through the outbox too.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import dialect_insert
from kit.events import Envelope
from kit.events.consumer import Handler
from kit.mail import queue_mail
from kit.privacy.participant import Hook
from orders.config import get_settings
from orders.models import Disclosure, Invoice, InvoiceCounter, Order, events
from orders.partners import DISCLOSED, PARTNER_KEY, PARTNER_MESSAGE, FulfilmentPartners, Pseudonyms

settings = get_settings()
pseudonyms = Pseudonyms(settings.pseudonym_key.get_secret_value().encode())
RECIPIENT_FIELDS = ("name", "street", "postcode", "city", "country")


async def on_paid(db: AsyncSession, order: Order, *, now: datetime) -> None:
    """The invoice, then what each partner needs to deliver."""
    await issue_invoice(db, order, now=now)
    by_partner: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for line in order.items:
        kind = str(line.get("kind", "voucher"))
        partner = settings.partners.get(kind)
        if partner is None:
            continue  # delivered by the works council itself: nothing leaves the platform
        by_partner.setdefault((partner, kind), []).append(
            {"title": line["title"], "quantity": line["quantity"]}
        )
    for (partner, kind), items in sorted(by_partner.items()):
        reference = pseudonyms.order(partner, order.id)
        message: dict[str, Any] = {"type": "fulfil", "reference": reference, "items": items}
        if kind == "goods":
            message["recipient"] = _recipient(order)
        else:
            message["holder"] = pseudonyms.holder(partner, order.user_id)
        disclosure = Disclosure(
            order_id=order.id,
            tenant_id=order.tenant_id,
            user_id=order.user_id,
            kind=kind,
            partner=partner,
            reference=reference,
            categories=DISCLOSED[kind],
            sent_at=now,
        )
        db.add(disclosure)
        await db.flush()
        await _to_partner(db, order.tenant_id, partner, message, disclosure_id=disclosure.id)


def _recipient(order: Order, overlay: dict[str, str] | None = None) -> dict[str, str | None]:
    values = {f: getattr(order, f"delivery_{f}") for f in RECIPIENT_FIELDS}
    return values | (overlay or {})


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
        PARTNER_MESSAGE,
        tenant=tenant,
        payload={"partner": partner, "message": message, "disclosure_id": disclosure_id},
        routing_key=PARTNER_KEY,
    )


async def announce(db: AsyncSession, order: Order, what: str | None = None) -> None:
    """``order.<what>`` (by default its status) for whoever follows orders (subsidies); the
    order id only: nothing personal."""
    await events.add(
        db,
        f"order.{what or order.status}",
        tenant=order.tenant_id,
        subject=order.user_id,
        payload={"order_id": order.id},
    )


async def issue_invoice(db: AsyncSession, order: Order, *, now: datetime) -> Invoice:
    year = now.year
    insert = dialect_insert(db)
    await db.execute(
        insert(InvoiceCounter)
        .values(tenant_id=order.tenant_id, year=year, last=0)
        .on_conflict_do_nothing(index_elements=["tenant_id", "year"])
    )
    # One UPDATE takes the next number: concurrent payments wait on the row, never share one.
    last = await db.scalar(
        update(InvoiceCounter)
        .where(InvoiceCounter.tenant_id == order.tenant_id, InvoiceCounter.year == year)
        .values(last=InvoiceCounter.last + 1)
        .returning(InvoiceCounter.last)
    )
    billing_name, billing_address = order.billing_name, order.billing_address
    if billing_name is None and order.delivery_street:
        billing_name = order.delivery_name
        billing_address = (
            f"{order.delivery_street}, {order.delivery_postcode} {order.delivery_city}, "
            f"{order.delivery_country}"
        )
    invoice = Invoice(
        number=f"{year}-{last:06d}",
        order_id=order.id,
        tenant_id=order.tenant_id,
        user_id=order.user_id,
        issued_at=now,
        lines=order.items,
        total_cents=order.total_cents,
        subsidy_cents=order.subsidy_cents,
        billing_name=billing_name,
        billing_address=billing_address,
    )
    db.add(invoice)
    await db.flush()
    return invoice


def partner_delivery(partners: FulfilmentPartners, clock: Callable[[], datetime]) -> Handler:
    """The worker's handler of ``partner.message``: hands the message to the partner (errors
    propagate, so the consumer retries while the partner is away), then records its answer."""

    async def deliver(db: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        message: dict[str, Any] = payload["message"]
        disclosure = None
        if message["type"] == "fulfil":
            disclosure = await db.get(Disclosure, str(payload["disclosure_id"]))
            if disclosure is None:
                return  # the person's data was erased meanwhile: the partner never gets it
        ack = await partners.send(str(payload["partner"]), message)
        if disclosure is not None and disclosure.acknowledged_at is None:
            # The order's row is locked first: two partners answering at once for the same
            # order are taken one after the other, so the second sees the first's answer.
            order = await db.get(Order, disclosure.order_id, with_for_update=True)
            disclosure.acknowledged_at = clock()
            disclosure.tracking = ack.tracking
            await db.flush()
            if order is not None:
                await _fulfilled_when_all_acknowledged(db, order)

    return deliver


async def _fulfilled_when_all_acknowledged(db: AsyncSession, order: Order) -> None:
    parts = (await db.scalars(select(Disclosure).where(Disclosure.order_id == order.id))).all()
    if order.status != "paid" or any(p.acknowledged_at is None for p in parts):
        return
    order.status = "fulfilled"
    await announce(db, order)
    await queue_mail(db, events, to=order.email, tenant=order.tenant_id, **shipped(order, parts))


def shipped(order: Order, parts: Any) -> dict[str, str]:
    """The shipping mail (French first, then English)."""
    tracking = "\n".join(f"  - {p.partner}: {p.tracking}" for p in parts if p.tracking)
    return {
        "subject": f"Commande {order.id[:8]} expédiée / Order {order.id[:8]} shipped",
        "text": (
            f"Bonjour,\n\nVotre commande {order.id} est expédiée.\n{tracking}\n\n"
            f"Hello,\n\nYour order {order.id} is on its way.\n"
        ),
    }


# -- Art. 19: erasure and rectification reach the recipients ---------------------------------


def tell_recipients(message_type: str) -> Hook:
    """A hook that sends ``{type, reference}`` to each partner that received some of the
    person's data: ``erase`` before their rows go, ``restrict`` (Art. 18: keep, do not use)
    and ``lift_restriction``."""

    async def tell(
        db: AsyncSession, subject: str, _payload: dict[str, Any], _now: datetime
    ) -> dict[str, Any]:
        parts = (await db.scalars(select(Disclosure).where(Disclosure.user_id == subject))).all()
        for part in parts:
            message = {"type": message_type, "reference": part.reference}
            await _to_partner(db, part.tenant_id, part.partner, message)
        return {"recipients_told": sorted({p.partner for p in parts})}

    return tell


tell_recipients_to_erase = tell_recipients("erase")


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
    parts = (
        await db.scalars(
            select(Disclosure).where(Disclosure.user_id == subject, Disclosure.kind == "goods")
        )
    ).all()
    for part in parts:
        order = await db.get(Order, part.order_id)
        if order is None:
            continue
        message = {"type": "rectify", "reference": part.reference}
        await _to_partner(
            db, part.tenant_id, part.partner, message | {"recipient": _recipient(order, overlay)}
        )
    return {"recipients_told": sorted({p.partner for p in parts})}
