"""the platform as a processor: clients' contracts, sub-processor notices, breach notices to
clients

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 21:20:00.000000

Art. 28(3): ``client_contracts`` (one per tenant) and ``subprocessor_notices`` (a platform
processor announced to a tenant, and its acceptance). Art. 33(2): ``breach_client_notices``
(the client told of a breach touching its people).
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
    op.create_table(
        "client_contracts",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("client_name", sa.String(length=200), nullable=False),
        sa.Column("contract_reference", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_client_contracts")),
    )
    op.create_table(
        "subprocessor_notices",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("processor_id", sa.String(length=36), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["processor_id"],
            ["processors.id"],
            name=op.f("fk_subprocessor_notices_processor_id_processors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "processor_id", name=op.f("pk_subprocessor_notices")),
    )
    op.create_table(
        "breach_client_notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("breach_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("recipients", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["breaches.id"],
            name=op.f("fk_breach_client_notices_breach_id_breaches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_client_notices")),
    )
    with op.batch_alter_table("breach_client_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breach_client_notices_breach_id"), ["breach_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_breach_client_notices_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("breach_client_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breach_client_notices_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_breach_client_notices_breach_id"))
    op.drop_table("breach_client_notices")
    op.drop_table("subprocessor_notices")
    op.drop_table("client_contracts")
