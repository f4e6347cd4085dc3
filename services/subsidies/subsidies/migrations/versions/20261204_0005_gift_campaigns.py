"""gift campaigns: campaigns, vouchers, voucher uses, yearly totals per event

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 03:40:00.000000

Gift campaigns within URSSAF's exemption limit (docs/subsidies.md, "Gift campaigns").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.String(length=36), nullable=nullable)


def _int(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), nullable=False)


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "campaigns",
        _id("id"),
        _id("tenant_id"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        _int("amount_cents"),
        sa.Column("per_child", sa.Boolean(), nullable=False),
        _int("min_children"),
        _int("year"),
        _int("beneficiaries"),
        _int("total_cents"),
        _int("not_exempt_cents"),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaigns_tenant_id", "campaigns", ["tenant_id"], unique=False)
    op.create_table(
        "vouchers",
        _id("id"),
        _id("tenant_id"),
        _id("user_id"),
        _id("campaign_id"),
        sa.Column("event", sa.String(length=40), nullable=False),
        _int("year"),
        _int("amount_cents"),
        _int("used_cents"),
        _int("not_exempt_cents"),
        _int("limit_units"),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_vouchers_tenant_id", "vouchers", ["tenant_id"], unique=False)
    op.create_index("ix_vouchers_campaign_id", "vouchers", ["campaign_id"], unique=False)
    op.create_index(
        "ix_vouchers_user_id_created_at", "vouchers", ["user_id", "created_at"], unique=False
    )
    op.create_table(
        "voucher_uses",
        _id("id"),
        _id("tenant_id"),
        _id("user_id"),
        _id("voucher_id"),
        _id("order_id"),
        _int("amount_cents"),
        sa.Column("status", sa.String(length=20), nullable=False),
        _at("created_at"),
        _at("hold_until", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_voucher_uses_user_id", "voucher_uses", ["user_id"], unique=False)
    op.create_index("ix_voucher_uses_voucher_id", "voucher_uses", ["voucher_id"], unique=False)
    op.create_index("ix_voucher_uses_order_id", "voucher_uses", ["order_id"], unique=False)
    op.create_table(
        "gift_totals",
        _id("id"),
        _id("tenant_id"),
        _id("user_id"),
        _int("year"),
        sa.Column("event", sa.String(length=40), nullable=False),
        _int("issued_cents"),
        _int("limit_units"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "tenant_id", "year", "user_id", "event", name="uq_gift_totals_tenant_id"
        ),
    )
    op.create_index("ix_gift_totals_user_id", "gift_totals", ["user_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("gift_totals")
    op.drop_table("voucher_uses")
    op.drop_table("vouchers")
    op.drop_table("campaigns")
