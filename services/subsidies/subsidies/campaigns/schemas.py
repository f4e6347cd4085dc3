"""Gift campaigns' request and response bodies: ids and amounts, never a name of a person."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from kit.schemas import Line, Strict
from subsidies.campaigns.models import Campaign, Voucher
from subsidies.campaigns.service import Draft, Excess, Exemption, Plan

#: An event's key (one of the settings' ``gift_events``; the service refuses another).
EventKey = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]


class CampaignIn(Strict):
    name: Line
    event: EventKey
    amount_cents: int = Field(ge=1, le=1_000_000)
    #: The amount is per child (only for the events counted per child).
    per_child: bool = False
    min_children: int = Field(default=0, ge=0, le=20)

    def draft(self) -> Draft:
        return Draft(
            name=self.name,
            event=self.event,
            amount_cents=self.amount_cents,
            per_child=self.per_child,
            min_children=self.min_children,
        )


class CampaignCreate(CampaignIn):
    #: Issue even though some beneficiaries go over the exemption limit (the excess is then
    #: reported as not exempt).
    confirm_over_limit: bool = False


class ExcessPublic(BaseModel):
    user_id: str
    already_cents: int
    new_cents: int
    limit_cents: int
    excess_cents: int

    @classmethod
    def of(cls, item: Excess) -> "ExcessPublic":
        return cls(**item.__dict__)


class PreviewPublic(BaseModel):
    event: str
    year: int
    #: The limit counts per child for this event.
    per_child_limit: bool
    #: The exempt amount per employee (or per child) for this event and year.
    limit_cents: int
    beneficiaries: int
    total_cents: int
    not_exempt_cents: int
    exceeding_count: int
    #: The first beneficiaries over the limit (ids only; ``exceeding_count`` counts them all).
    exceeding: list[ExcessPublic]

    @classmethod
    def of(cls, plan: Plan) -> "PreviewPublic":
        return cls(
            event=plan.event,
            year=plan.year,
            per_child_limit=plan.per_child_limit,
            limit_cents=plan.unit_limit_cents,
            beneficiaries=plan.beneficiaries,
            total_cents=plan.total_cents,
            not_exempt_cents=plan.not_exempt_cents,
            exceeding_count=plan.exceeding_count,
            exceeding=[ExcessPublic.of(e) for e in plan.exceeding],
        )


class CampaignPublic(BaseModel):
    id: str
    name: str
    event: str
    amount_cents: int
    per_child: bool
    min_children: int
    year: int
    beneficiaries: int
    total_cents: int
    not_exempt_cents: int
    created_at: datetime

    @classmethod
    def of(cls, campaign: Campaign) -> "CampaignPublic":
        return cls(
            id=campaign.id,
            name=campaign.name,
            event=campaign.event,
            amount_cents=campaign.amount_cents,
            per_child=campaign.per_child,
            min_children=campaign.min_children,
            year=campaign.year,
            beneficiaries=campaign.beneficiaries,
            total_cents=campaign.total_cents,
            not_exempt_cents=campaign.not_exempt_cents,
            created_at=campaign.created_at,
        )


class EventPublic(BaseModel):
    event: str
    per_child_limit: bool
    limit_cents: int


class ExemptionPublic(BaseModel):
    user_id: str
    year: int
    event: str
    issued_cents: int
    limit_cents: int
    exempt_cents: int
    not_exempt_cents: int

    @classmethod
    def of(cls, line: Exemption) -> "ExemptionPublic":
        return cls(**line.__dict__)


class VoucherPublic(BaseModel):
    id: str
    campaign_id: str
    event: str
    year: int
    amount_cents: int
    used_cents: int
    remaining_cents: int
    created_at: datetime

    @classmethod
    def of(cls, voucher: Voucher) -> "VoucherPublic":
        return cls(
            id=voucher.id,
            campaign_id=voucher.campaign_id,
            event=voucher.event,
            year=voucher.year,
            amount_cents=voucher.amount_cents,
            used_cents=voucher.used_cents,
            remaining_cents=voucher.amount_cents - voucher.used_cents,
            created_at=voucher.created_at,
        )
