"""Activities' request and response bodies."""

from datetime import datetime

from pydantic import BaseModel, Field

from kit.schemas import Line, Strict
from subsidies.activities.models import Activity


class ActivityIn(Strict):
    title: Line
    price_cents: int = Field(ge=0, le=1_000_000)
    starts_at: datetime
    seats: int | None = Field(default=None, ge=1, le=100_000)


class ActivityPublic(BaseModel):
    id: str
    title: str
    price_cents: int
    starts_at: datetime
    seats: int | None

    @classmethod
    def of(cls, activity: Activity) -> "ActivityPublic":
        return cls(
            id=activity.id,
            title=activity.title,
            price_cents=activity.price_cents,
            starts_at=activity.starts_at,
            seats=activity.seats,
        )
