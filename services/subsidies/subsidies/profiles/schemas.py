"""The beneficiary profile's bodies and what it entitles the person to."""

from datetime import datetime

from pydantic import BaseModel, Field

from kit.schemas import Strict
from subsidies.profiles.models import Profile


class ProfileIn(Strict):
    children_count: int = Field(ge=0, le=20)


class ProfilePublic(BaseModel):
    children_count: int
    updated_at: datetime

    @classmethod
    def of(cls, profile: Profile) -> "ProfilePublic":
        return cls(children_count=profile.children_count, updated_at=profile.updated_at)


class Eligibility(BaseModel):
    rule_id: str
    name: str
    offer_kind: str | None
    amount_cents: int | None
    percent: int | None
    cap_cents_per_year: int
    used_cents: int
    remaining_cents: int
