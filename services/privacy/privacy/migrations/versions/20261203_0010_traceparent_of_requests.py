"""traceparent of requests

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 21:10:00.000000

The W3C ``traceparent`` of the call that filed a request: every later command of the request
(sent again by the worker, the next phase of an erasure) goes out in that trace. Nullable:
requests filed before this revision have none, and their later commands start a trace as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("traceparent")
