"""Tenant stores: ESF participation per operation (issue 21): a person's entry into an operation after
the intake's own (``view_operation_entries``), leaving an operation and the six-month follow-up
(``view_operation_exits``), and the household situation at intake in ``view_people`` (the
participant file's).

As in 0008, the casework views of a tenant store are then emptied with their position, so that the
next catch-up (or ``kentra projections rebuild``) folds the whole log again and the new column holds
for old intakes too. A Region's store (no ``casework_views`` position) is left as it is: it never
receives the internal ESF events, and its people's household situation fills from the envelopes
that follow.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"

FOLDED = ("view_case_index", "view_contacts", "view_people", "view_responsibility")


def upgrade() -> None:
    with op.batch_alter_table("view_people") as table:
        table.add_column(sa.Column("household_situation", sa.String(30), nullable=True))
    op.create_table(
        "view_operation_entries",
        sa.Column("beneficiary_id", sa.Uuid(), primary_key=True),
        sa.Column("operation", sa.String(10), primary_key=True),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("structure", sa.String(40), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("gender", sa.String(12), nullable=False),
        sa.Column("age_at_entry", sa.Integer(), nullable=False),
        sa.Column("employment_status", sa.String(30), nullable=False),
        sa.Column("isced_level", sa.Integer(), nullable=False),
        sa.Column("household_situation", sa.String(30), nullable=False),
        sa.Column("residence_area", sa.String(20), nullable=False),
        sa.Column("foreign_background", sa.Boolean(), nullable=False),
        sa.Column("third_country_national", sa.Boolean(), nullable=False),
        sa.Column("homeless", sa.Boolean(), nullable=False),
        sa.Column("disability", sa.String(10)),
        sa.Column("minority", sa.String(10)),
        sa.Column("other_disadvantage", sa.String(10)),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_view_operation_entries_entered_on", "view_operation_entries", ["entered_on"])
    op.create_table(
        "view_operation_exits",
        sa.Column("beneficiary_id", sa.Uuid(), primary_key=True),
        sa.Column("operation", sa.String(10), primary_key=True),
        sa.Column("structure", sa.String(40), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column("job_searching", sa.Boolean(), nullable=False),
        sa.Column("in_education_or_training", sa.Boolean(), nullable=False),
        sa.Column("qualification_gained", sa.Boolean(), nullable=False),
        sa.Column("employed", sa.Boolean(), nullable=False),
        sa.Column("follow_up_due", sa.Date(), nullable=False),
        sa.Column("followed_up_on", sa.Date()),
        sa.Column("employed_after_six_months", sa.Boolean()),
        sa.Column("improved_after_six_months", sa.Boolean()),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_view_operation_exits_left_on", "view_operation_exits", ["left_on"])
    op.create_index("ix_view_operation_exits_follow_up_due", "view_operation_exits", ["follow_up_due"])
    positions = sa.table("view_positions", sa.column("view", sa.String))
    folded = op.get_bind().execute(sa.select(positions.c.view).where(positions.c.view == "casework_views")).first()
    if folded is not None:  # a tenant's store: fold its log again (see above)
        for name in FOLDED:
            op.execute(sa.table(name).delete())
        op.execute(positions.delete().where(positions.c.view == "casework_views"))


def downgrade() -> None:
    op.drop_index("ix_view_operation_exits_follow_up_due", "view_operation_exits")
    op.drop_index("ix_view_operation_exits_left_on", "view_operation_exits")
    op.drop_table("view_operation_exits")
    op.drop_index("ix_view_operation_entries_entered_on", "view_operation_entries")
    op.drop_table("view_operation_entries")
    with op.batch_alter_table("view_people") as table:
        table.drop_column("household_situation")
