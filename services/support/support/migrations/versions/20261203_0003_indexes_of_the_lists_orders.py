"""indexes of the lists' orders

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 14:00:00.000000

The tickets (the latest activity first), a ticket's conversation (as written) and the partner
requests (the newest first) page by keyset (kit.pagination): each page starts from an index
position instead of sorting the whole tenant's rows.
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
    with op.batch_alter_table("partner_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_partner_requests_tenant_slug_received_at",
            ["tenant_slug", "received_at"],
            unique=False,
        )

    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_messages_ticket_id_created_at", ["ticket_id", "created_at"], unique=False
        )

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_requester_id_updated_at", ["requester_id", "updated_at"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_tenant_id_updated_at", ["tenant_id", "updated_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_tenant_id_updated_at")
        batch_op.drop_index("ix_tickets_requester_id_updated_at")

    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_messages_ticket_id_created_at")

    with op.batch_alter_table("partner_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_requests_tenant_slug_received_at")
