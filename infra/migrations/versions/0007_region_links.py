"""Regional stores: each pseudonymised person's region-wide link, for the Region's distinct count.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "region_links",
        sa.Column("beneficiary_id", sa.Uuid(), primary_key=True),
        sa.Column("kid", sa.String(8), nullable=False),
        sa.Column("link", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("region_links")
