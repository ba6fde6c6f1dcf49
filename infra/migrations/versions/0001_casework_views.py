"""Casework views: case index, people, contacts, tracked positions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "view_case_index",
        sa.Column("entry_id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subtype", sa.String(40)),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("structure", sa.String(40), nullable=False),
        sa.Column("beneficiary_id", sa.Uuid()),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date()),
        sa.Column("follow_up_due", sa.Date()),
        sa.Column("outcome", sa.String(30)),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_view_case_index_kind", "view_case_index", ["kind"])
    op.create_index("ix_view_case_index_beneficiary_id", "view_case_index", ["beneficiary_id"])
    op.create_index("ix_view_case_index_occurred_on", "view_case_index", ["occurred_on"])
    op.create_table(
        "view_people",
        sa.Column("beneficiary_id", sa.Uuid(), primary_key=True),
        sa.Column("structure", sa.String(40), nullable=False),
        sa.Column("intake_on", sa.Date(), nullable=False),
        sa.Column("gender", sa.String(12), nullable=False),
        sa.Column("age_at_entry", sa.Integer(), nullable=False),
        sa.Column("employment_status", sa.String(30), nullable=False),
        sa.Column("isced_level", sa.Integer(), nullable=False),
        sa.Column("residence_area", sa.String(20), nullable=False),
        sa.Column("foreign_background", sa.Boolean(), nullable=False),
        sa.Column("third_country_national", sa.Boolean(), nullable=False),
        sa.Column("homeless", sa.Boolean(), nullable=False),
        sa.Column("disability", sa.String(10)),
        sa.Column("minority", sa.String(10)),
        sa.Column("other_disadvantage", sa.String(10)),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_view_people_intake_on", "view_people", ["intake_on"])
    op.create_table(
        "view_contacts",
        sa.Column("entry_id", sa.Uuid(), primary_key=True),
        sa.Column("beneficiary_id", sa.Uuid(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("structure", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_view_contacts_day", "view_contacts", ["day"])
    op.create_table(
        "view_positions",
        sa.Column("view", sa.String(40), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("view_positions", "view_contacts", "view_people", "view_case_index"):
        op.drop_table(table)
