"""tenant closures at the end of a client's contract

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 21:45:00.000000

Art. 28(3)(g): ``tenant_closures`` (one per closed tenant: its step, the client's archive, the
report) and ``closure_people`` (a person of it and the requests that export and erase them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "tenant_closures",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=36), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("identity_closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accounts", sa.Integer(), nullable=True),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archive_file", sa.String(length=100), nullable=True),
        sa.Column("archive_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archive_size", sa.Integer(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenant_closures")),
    )
    op.create_table(
        "closure_people",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=36), nullable=True),
        sa.Column("subject_key", sa.String(length=64), nullable=True),
        sa.Column("access_request_id", sa.String(length=36), nullable=True),
        sa.Column("erasure_request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_people")),
        sa.UniqueConstraint("subject", name=op.f("uq_closure_people_subject")),
    )
    with op.batch_alter_table("closure_people", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_closure_people_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("closure_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closure_people_tenant_id"))
    op.drop_table("closure_people")
    op.drop_table("tenant_closures")
