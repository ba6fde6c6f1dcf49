"""Tenant stores: households and their members (issue 23).

``view_households`` (size in clear, no one named) and ``view_household_members`` (one row per person
in a household now). New tables for new events: nothing to fold again.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "view_households",
        sa.Column("household_id", sa.Uuid(), primary_key=True),
        sa.Column("structure", sa.String(40), nullable=False),
        sa.Column("formed_on", sa.Date(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_view_households_structure", "view_households", ["structure"])
    op.create_table(
        "view_household_members",
        sa.Column("beneficiary_id", sa.Uuid(), primary_key=True),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("relation", sa.String(20), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_view_household_members_household_id", "view_household_members", ["household_id"])


def downgrade() -> None:
    op.drop_index("ix_view_household_members_household_id", "view_household_members")
    op.drop_table("view_household_members")
    op.drop_index("ix_view_households_structure", "view_households")
    op.drop_table("view_households")
