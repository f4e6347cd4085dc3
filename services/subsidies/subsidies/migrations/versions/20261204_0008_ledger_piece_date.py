"""ledger piece date: an entry's booking date apart from its document's

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 13:00:00.000000

``ledger_entries.piece_date``: the date of the entry's supporting document (``PieceDate``: an
order paid or refunded, a grant made, a voucher issued), while ``entry_date`` becomes the
booking date (``EcritureDate``: the day the entry is written, the period the exports select).
An event received late is then written in the period still open, never in one already
exported. The entries already written keep their date for both (their ``PieceDate`` was their
``entry_date``): a period exported before this runs exports again byte for byte the same.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("piece_date", sa.Date(), nullable=True))
    entries = sa.table(
        "ledger_entries",
        sa.column("entry_date", sa.Date),
        sa.column("piece_date", sa.Date),
    )
    op.get_bind().execute(entries.update().values(piece_date=entries.c.entry_date))
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.alter_column("piece_date", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_column("piece_date")
