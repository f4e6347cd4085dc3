"""Payments: an intent for the buyer, the provider's webhook, and the sandbox's pay step.

The sandbox's pay step is a router of its own, mounted only with the sandbox provider
(``orders.main``): with a real provider the route does not exist (404, absent from the
OpenAPI document), and production refuses the sandbox (``PAYMENT_PROVIDER``).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, status
from pydantic import BaseModel

from kit.auth import CurrentUser
from kit.db import SessionDep
from kit.errors import NotFound
from orders import repository, service
from orders.payments import PaymentProvider, SandboxProvider

router = APIRouter(tags=["payments"])
#: The sandbox provider's "hosted page": any signed-in buyer pays their own order with it.
sandbox_router = APIRouter(tags=["payments"])


def _provider(request: Request) -> PaymentProvider:
    provider: PaymentProvider = request.app.state.payments
    return provider


Provider = Annotated[PaymentProvider, Depends(_provider)]


class IntentPublic(BaseModel):
    reference: str
    redirect_url: str


@router.post("/api/orders/{order_id}/pay")
async def pay(
    order_id: str, principal: CurrentUser, db: SessionDep, provider: Provider
) -> IntentPublic:
    """Start paying: the buyer goes to the provider's page (``redirect_url``)."""
    intent = await service.start_payment(db, provider, principal=principal, order_id=order_id)
    return IntentPublic(reference=intent.reference, redirect_url=intent.redirect_url)


@router.post("/api/payments/webhook", status_code=status.HTTP_200_OK)
async def webhook(
    request: Request,
    db: SessionDep,
    provider: Provider,
    x_signature: Annotated[str, Header(alias="X-Payment-Signature")] = "",
) -> dict[str, str]:
    """The provider's signed notification; no session, the HMAC signature is the proof."""
    outcome = await service.handle_webhook(
        db, provider, body=await request.body(), signature=x_signature, now=service.utcnow()
    )
    return {"outcome": outcome}


@sandbox_router.post("/api/payments/sandbox/{reference}")
async def sandbox_pay(
    reference: str, principal: CurrentUser, db: SessionDep, provider: Provider
) -> dict[str, str]:
    """The sandbox's hosted page: the buyer confirms, the provider sends its signed webhook."""
    order = await repository.order_by_reference(db, reference)
    if (
        not isinstance(provider, SandboxProvider)
        or order is None
        or order.user_id != principal.user_id
    ):
        raise NotFound("no such payment")
    body, signature = provider.webhook(
        event_type="payment.succeeded", reference=reference, amount_cents=service.to_pay(order)
    )
    outcome = await service.handle_webhook(
        db, provider, body=body, signature=signature, now=service.utcnow()
    )
    return {"outcome": outcome}
