"""Payments: an intent for the buyer, the provider's webhook, and the sandbox's pay step.

The sandbox's pay step is a router of its own, mounted only with the sandbox provider
(``orders.main``): with a real provider the route does not exist (404, absent from the
OpenAPI document), and production refuses the sandbox (``PAYMENT_PROVIDER``).
"""

from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from kit.auth import CurrentUser
from kit.db import SessionDep, utcnow
from orders.context import ContextDep
from orders.payments import service
from orders.payments.schemas import IntentPublic

router = APIRouter(tags=["payments"])
#: The sandbox provider's "hosted page": any signed-in buyer pays their own order with it.
sandbox_router = APIRouter(tags=["payments"])


@router.post("/api/orders/{order_id}/pay")
async def pay(
    order_id: str, principal: CurrentUser, db: SessionDep, context: ContextDep
) -> IntentPublic:
    """Start paying: the buyer goes to the provider's page (``redirect_url``)."""
    intent = await service.start_payment(
        db, context.payments, principal=principal, order_id=order_id
    )
    return IntentPublic(reference=intent.reference, redirect_url=intent.redirect_url)


@router.post("/api/payments/webhook", status_code=status.HTTP_200_OK)
async def webhook(
    request: Request,
    db: SessionDep,
    context: ContextDep,
    x_signature: Annotated[str, Header(alias="X-Payment-Signature")] = "",
) -> dict[str, str]:
    """The provider's signed notification; no session, the HMAC signature is the proof."""
    outcome = await service.handle_webhook(
        db,
        context.payments,
        context.fulfilment,
        body=await request.body(),
        signature=x_signature,
        now=utcnow(),
    )
    return {"outcome": outcome}


@sandbox_router.post("/api/payments/sandbox/{reference}")
async def sandbox_pay(
    reference: str, principal: CurrentUser, db: SessionDep, context: ContextDep
) -> dict[str, str]:
    """The sandbox's hosted page: the buyer confirms, the provider sends its signed webhook."""
    outcome = await service.pay_in_sandbox(
        db,
        context.payments,
        context.fulfilment,
        principal=principal,
        reference=reference,
        now=utcnow(),
    )
    return {"outcome": outcome}
