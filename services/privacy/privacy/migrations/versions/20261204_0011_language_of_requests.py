"""language of requests

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 03:40:00.000000

The language a request is answered in (``fr``, ``en``), from the filing's ``Accept-Language``:
the Art. 15 information of its archive is written in it. The requests filed before this
revision get French, the platform's default.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=2), server_default="fr", nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("language")
