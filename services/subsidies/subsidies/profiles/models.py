"""The beneficiary profile: only what rules use (a number of children)."""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime
from kit.privacy.declarations import personal, subject_table
from subsidies.base import ACTIVITIES, CONTRACT, Base

PROFILE = personal("family situation (number of children)", ACTIVITIES, CONTRACT)


class Profile(Base):
    """What subsidy rules need to know about a person, and nothing else."""

    __tablename__ = "profiles"
    __table_args__ = ({"info": subject_table("user_id", tenant="tenant_id")},)

    user_id: Mapped[str] = mapped_column(
        String(36),
        primary_key=True,
        info=personal("account id", ACTIVITIES, CONTRACT, provided=False),
    )
    tenant_id: Mapped[str] = mapped_column(
        String(36), index=True, info=personal("employer", ACTIVITIES, CONTRACT, provided=False)
    )
    children_count: Mapped[int] = mapped_column(Integer, info=PROFILE)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, info=personal("date", ACTIVITIES, CONTRACT, provided=False)
    )
