"""accounting ledger

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 04:00:00.000000

The works council's books (docs/subsidies.md, "Accounting"): entries and their lines (no
person in them), the entry number counter per tenant, and the link of an entry to the person
it concerns (the only personal data of the books, moved to the restricted archive on erasure).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "ledger_counters",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_ledger_counters_tenant_id")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("budget", sa.String(length=10), nullable=False),
        sa.Column("journal_code", sa.String(length=8), nullable=False),
        sa.Column("journal_label", sa.String(length=100), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("piece_ref", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("source_key", sa.String(length=120), nullable=False),
        sa.Column("reverses_id", sa.String(length=36), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "number", name="uq_ledger_entries_tenant_id_number"),
        sa.UniqueConstraint(
            "tenant_id", "source_key", name="uq_ledger_entries_tenant_id_source_key"
        ),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entries_tenant_id_entry_date", ["tenant_id", "entry_date"], unique=False
        )

    op.create_table(
        "ledger_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("account_number", sa.String(length=10), nullable=False),
        sa.Column("account_label", sa.String(length=100), nullable=False),
        sa.Column("aux", sa.String(length=36), nullable=True),
        sa.Column("debit_cents", sa.Integer(), nullable=False),
        sa.Column("credit_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_lines_entry_id_ledger_entries"),
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ledger_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_lines_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "ledger_subjects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_subjects_entry_id_ledger_entries"),
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ledger_subjects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_subjects_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ledger_subjects_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ledger_subjects_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("ledger_subjects")
    op.drop_table("ledger_lines")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_counters")
