"""Keyed audit chain: each position also carries an HMAC-SHA256 chain under the tenant's chain key.

The unkeyed chain of 0003 could be recomputed by anyone who could write its table. The keyed chain
is derived data: it starts empty and the chain follower builds it from position 1 of the log, so
0003's table is dropped (earlier signed checkpoints still verify: they sign the unkeyed hash, which
the new table keeps beside the MAC). Events are not touched.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "audit_chain_keyed",
        sa.Column("position", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.Column("legacy", sa.Boolean(), nullable=False),
    )
    op.drop_table("audit_chain")
    if op.get_context().dialect.name == "sqlite":
        # On PostgreSQL the provisioning adds the same refusals as triggers on the events table.
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_chain_keyed_refuse_{operation.lower()} BEFORE {operation} ON audit_chain_keyed "
                f"BEGIN SELECT RAISE(ABORT, 'audit_chain_keyed is append-only: {operation} refused'); END"
            )


def downgrade() -> None:
    op.drop_table("audit_chain_keyed")
    op.create_table(
        "audit_chain",
        sa.Column("position", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
