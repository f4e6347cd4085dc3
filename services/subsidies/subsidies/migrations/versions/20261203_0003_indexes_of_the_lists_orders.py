"""indexes of the lists' orders

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 14:00:00.000000

The activities (the soonest first) and a person's bookings (the newest first) page by keyset
(kit.pagination): each page starts from an index position instead of sorting every row.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activities_tenant_id_starts_at", ["tenant_id", "starts_at"], unique=False
        )

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bookings_user_id_created_at", ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_user_id_created_at")

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_tenant_id_starts_at")
