"""processors of the platform and of tenants, the defaults seeded once

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:26:59.662204

``processors.tenant_id``: None for the platform's entries (kept by the platform administrator,
in every tenant's register), a tenant's id for that tenant's own (kept by its DPO). Entries
that exist already stay the platform's: every register listed them until now.

The three defaults are written here, once, when the list is empty: before this revision they
were written at the first read of an empty list, so a database that has any row had them
already, and a default removed since must not come back.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (id, name, role, data categories, location); the ids are the ones the first reads wrote.
DEFAULTS = [
    (
        "ec5fc884-802e-5899-9703-23e459c8adf8",
        "Hosting provider",
        "hosting of the servers, databases and backups",
        ["every category the platform holds"],
        "FR",
    ),
    (
        "1653864a-5c9a-5fe6-901a-4c416227b37e",
        "Email relay",
        "delivery of the platform's emails",
        ["contact", "identity", "the content of the mails"],
        "FR",
    ),
    (
        "de4178a0-c3bf-5716-9845-d2b9b7d130a7",
        "Payment provider",
        "card payments and SEPA direct debits",
        ["contact", "purchase", "bank details", "direct debit mandate"],
        "FR",
    ),
]


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("processors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenant_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_processors_tenant_id"), ["tenant_id"], unique=False)

    processors = sa.table(
        "processors",
        sa.column("id", sa.String()),
        sa.column("tenant_id", sa.String()),
        sa.column("name", sa.String()),
        sa.column("role", sa.String()),
        sa.column("data_categories", sa.JSON()),
        sa.column("location", sa.String()),
        sa.column("safeguard", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    count = op.get_bind().execute(sa.select(sa.func.count()).select_from(processors)).scalar_one()
    if count == 0:
        now = datetime.now(UTC)
        op.bulk_insert(
            processors,
            [
                {
                    "id": id_,
                    "tenant_id": None,
                    "name": name,
                    "role": role,
                    "data_categories": categories,
                    "location": location,
                    "safeguard": None,
                    "created_at": now + timedelta(microseconds=i),  # listed in this order
                }
                for i, (id_, name, role, categories, location) in enumerate(DEFAULTS)
            ],
        )


def downgrade() -> None:
    """Downgrade schema (a tenant's own processors go: before, every entry was everyone's)."""
    op.execute(sa.text("DELETE FROM processors WHERE tenant_id IS NOT NULL"))
    with op.batch_alter_table("processors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processors_tenant_id"))
        batch_op.drop_column("tenant_id")
