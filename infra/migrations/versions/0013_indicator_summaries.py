"""The indicators' summaries (issue 24): counts per day, month and year, sets of people served, ordinals.

``view_indicator_counts`` (additive counts per day, month and year), ``view_served_sets`` (roaring
bitmaps of person ordinals per day and month, by structure and gender), ``view_person_ordinals`` and
``view_first_served`` (each person's first day served, so "since opening" is additive), and an index
on the contacts' person. Filled at once from the rows already folded (``derive_all``), so a store
upgraded in place answers the same indicators as before, without folding its log again.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.summary import derive_all

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_index("ix_view_contacts_beneficiary_id", "view_contacts", ["beneficiary_id"])
    op.create_table(
        "view_indicator_counts",
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("structure", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(40)),
        sa.Column("key2", sa.String(30)),
        sa.Column("gender", sa.String(12)),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_index("ix_view_indicator_counts_grain_day", "view_indicator_counts", ["grain", "day"])
    op.create_index("ix_view_indicator_counts_kind_grain_day", "view_indicator_counts", ["kind", "grain", "day"])
    op.create_table(
        "view_served_sets",
        sa.Column("grain", sa.String(1), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("structure", sa.String(40), primary_key=True),
        sa.Column("gender", sa.String(12), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("members", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "view_person_ordinals",
        sa.Column("beneficiary_id", sa.Uuid(), primary_key=True),
        sa.Column("ordinal", sa.Integer(), nullable=False, unique=True),
    )
    op.create_table(
        "view_first_served",
        sa.Column("beneficiary_id", sa.Uuid(), primary_key=True),
        sa.Column("structure", sa.String(40), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("gender", sa.String(12), nullable=False),
    )
    op.create_index("ix_view_first_served_day", "view_first_served", ["day"])
    derive_all(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_view_first_served_day", "view_first_served")
    op.drop_table("view_first_served")
    op.drop_table("view_person_ordinals")
    op.drop_table("view_served_sets")
    op.drop_index("ix_view_indicator_counts_kind_grain_day", "view_indicator_counts")
    op.drop_index("ix_view_indicator_counts_grain_day", "view_indicator_counts")
    op.drop_table("view_indicator_counts")
    op.drop_index("ix_view_contacts_beneficiary_id", "view_contacts")
