"""audit fixes: quotient declarations' lifetime, one voucher use per order and voucher

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 05:00:00.000000

- ``quotient_declarations.kept_until``: when the row goes (an approved declaration
  ``QUOTIENT_PROOF_YEARS`` after its tax year, a refused or never-checked one 30 days); the
  bracket the figures gave (``proposed_bracket``) is cleared on every checked declaration.
- ``voucher_uses``: unique (order_id, voucher_id), so two reservations of one order at once
  cannot both take from a voucher; ``shortfall_cents``, what an order placed after its hold
  expired could no longer take up again.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: quotients.models.DOCUMENT_DAYS and the default QUOTIENT_PROOF_YEARS when this ran.
DOCUMENT_DAYS = 30
PROOF_YEARS = 3


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _kept_until(status: str, declared_at: datetime, ends_at: datetime) -> datetime:
    if status == "approved":
        end = _aware(ends_at)
        try:
            return end.replace(year=end.year + PROOF_YEARS)
        except ValueError:
            return end.replace(year=end.year + PROOF_YEARS, day=28)
    if status == "refused":
        return _aware(ends_at) + timedelta(days=DOCUMENT_DAYS)
    return _aware(declared_at) + timedelta(days=2 * DOCUMENT_DAYS)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("quotient_declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kept_until", sa.DateTime(timezone=True), nullable=True))
    declarations = sa.table(
        "quotient_declarations",
        sa.column("id", sa.String),
        sa.column("status", sa.String),
        sa.column("declared_at", sa.DateTime(timezone=True)),
        sa.column("ends_at", sa.DateTime(timezone=True)),
        sa.column("kept_until", sa.DateTime(timezone=True)),
        sa.column("proposed_bracket", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            declarations.c.id,
            declarations.c.status,
            declarations.c.declared_at,
            declarations.c.ends_at,
        )
    ).all()
    for row in rows:
        values: dict[str, object] = {
            "kept_until": _kept_until(row.status, row.declared_at, row.ends_at)
        }
        if row.status != "pending":
            values["proposed_bracket"] = None
        bind.execute(declarations.update().where(declarations.c.id == row.id).values(**values))
    with op.batch_alter_table("quotient_declarations", schema=None) as batch_op:
        batch_op.alter_column(
            "kept_until", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            batch_op.f("ix_quotient_declarations_kept_until"), ["kept_until"], unique=False
        )
    # Before the constraint: a use released and then taken again for the same order and
    # voucher left two rows; the released one gave its amount back (it counts for nothing).
    uses = sa.table(
        "voucher_uses",
        sa.column("id", sa.String),
        sa.column("order_id", sa.String),
        sa.column("voucher_id", sa.String),
        sa.column("status", sa.String),
    )
    seen: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for use in bind.execute(
        sa.select(uses.c.id, uses.c.order_id, uses.c.voucher_id, uses.c.status)
    ):
        seen.setdefault((use.order_id, use.voucher_id), []).append((use.id, use.status))
    for rows_of_pair in seen.values():
        if len(rows_of_pair) < 2:
            continue
        released = [i for i, status in rows_of_pair if status == "released"]
        extra = released[: len(rows_of_pair) - 1]
        if extra:
            bind.execute(uses.delete().where(uses.c.id.in_(extra)))
    with op.batch_alter_table("voucher_uses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shortfall_cents", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_unique_constraint(
            "uq_voucher_uses_order_id_voucher_id", ["order_id", "voucher_id"]
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("voucher_uses", schema=None) as batch_op:
        batch_op.drop_constraint("uq_voucher_uses_order_id_voucher_id", type_="unique")
        batch_op.drop_column("shortfall_cents")
    with op.batch_alter_table("quotient_declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quotient_declarations_kept_until"))
        batch_op.drop_column("kept_until")
