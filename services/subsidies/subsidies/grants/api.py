"""Service to service: ``POST /internal/grants``, called by orders when an order is placed.

Not routed by the gateway (only ``/api/subsidies/`` is): only another service on the internal
network reaches it, and only the orders service is heard: the call carries a token identity
exchanged for orders, acting for the buyer (``kit.auth.service_caller``), so a grant is always
for the person who is ordering, in their tenant, at the prices orders computed. A person's own
token, or one another service holds, is refused.
"""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends

from kit.auth import Principal, service_caller
from kit.db import SessionDep, utcnow
from subsidies.campaigns import service as campaigns
from subsidies.context import ContextDep
from subsidies.grants import service
from subsidies.grants.models import GrantStatus
from subsidies.grants.schemas import GrantAnswer, GrantRequest
from subsidies.rules.models import OfferKind

router = APIRouter(prefix="/internal", tags=["internal"])


@router.post("/grants")
async def reserve(
    body: GrantRequest,
    context: ContextDep,
    principal: Annotated[Principal, Depends(service_caller("orders"))],
    db: SessionDep,
) -> GrantAnswer:
    """Reserve the subsidies of an order being placed; held until the order is confirmed
    (``order.placed``) and released if it never is, or when it is cancelled."""
    now = utcnow()
    hold_until = now + timedelta(minutes=context.settings.hold_minutes)
    pending = await service.plan(
        db,
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        lines=[
            service.LineIn(OfferKind(i.kind), i.quantity, i.unit_price_cents) for i in body.lines
        ],
        now=now,
        status=GrantStatus.HELD,
        hold_until=hold_until,
        order_id=body.order_id,
    )
    # What is left to pay is taken from the buyer's gift vouchers, held the same way; before
    # the subsidies are settled, which takes the tenant's rows until the commit (service.plan).
    vouchers = await campaigns.consume(
        db,
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        order_id=body.order_id,
        payable_cents=sum(i.quantity * i.unit_price_cents for i in body.lines) - pending.total,
        now=now,
        hold_until=hold_until,
    )
    total = await service.settle(db, pending)
    return GrantAnswer(subsidy_cents=total + vouchers, voucher_cents=vouchers)
