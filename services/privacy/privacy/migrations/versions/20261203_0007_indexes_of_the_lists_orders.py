"""indexes of the lists' orders

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:40:00.000000

The lists page by keyset (kit.pagination): each page starts from an index position in the
list's order instead of sorting the whole tenant's or person's rows.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entries_subject_at", ["subject", "at"], unique=False)

    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_breaches_tenant_id_aware_at", ["tenant_id", "aware_at"], unique=False
        )

    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.create_index("ix_consent_events_subject_at", ["subject", "at"], unique=False)

    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_requests_subject_received_at", ["subject", "received_at"], unique=False
        )
        batch_op.create_index(
            "ix_requests_tenant_id_received_at", ["tenant_id", "received_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_index("ix_requests_tenant_id_received_at")
        batch_op.drop_index("ix_requests_subject_received_at")

    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_events_subject_at")

    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.drop_index("ix_breaches_tenant_id_aware_at")

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_subject_at")
