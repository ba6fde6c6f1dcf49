"""Audit checkpoints: the chain's head at a moment, signed with the tenant's Ed25519 key.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("signed_at", sa.String(40), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False, unique=True),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    if op.get_context().dialect.name == "sqlite":
        # On PostgreSQL the application role lacks the grants; in a SQLite file, triggers say no.
        for table in ("audit_chain", "audit_checkpoints"):
            op.execute(
                f"CREATE TRIGGER {table}_refuse_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
            )
        op.execute(
            "CREATE TRIGGER audit_chain_refuse_update BEFORE UPDATE ON audit_chain "
            "BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only: UPDATE refused'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_checkpoints_refuse_update BEFORE UPDATE OF position, hash, signed_at, "
            "public_key, signature ON audit_checkpoints "
            "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused'); END"
        )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
