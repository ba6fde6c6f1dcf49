"""Marks on a tenant's store, written by the chain's writer: ``no-legacy`` on a store provisioned
with an empty log, so that no row without a seal is ever taken for one from before seals.

Its value is an HMAC under the tenant's chain key (in no database): no one else can write a valid
mark. Append-only: a mark, once made, is never changed or removed.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "audit_store_marks",
        sa.Column("mark", sa.String(32), primary_key=True),
        sa.Column("mac", sa.String(64), nullable=False),
    )
    if op.get_context().dialect.name == "sqlite":
        # On PostgreSQL the provisioning adds the same refusals as triggers, and only the chain role may insert.
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_store_marks_refuse_{operation.lower()} BEFORE {operation} ON audit_store_marks "
                f"BEGIN SELECT RAISE(ABORT, 'audit_store_marks is append-only: {operation} refused'); END"
            )


def downgrade() -> None:
    op.drop_table("audit_store_marks")
