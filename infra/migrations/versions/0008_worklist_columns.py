"""Tenant stores: what the worklists read (issue 20): a request's agency and the agency's last status
and its day, a referral's answer day, a prosecutor order's deadline, a person's erasure, and who is
responsible for a person (``view_responsibility``).

The casework views of a tenant store are then emptied with their position, so that the next catch-up
(or ``kentra projections rebuild``) folds the whole log again and the new columns hold for old events
too. A Region's store has no ``casework_views`` position (its views come from envelopes, which cannot
be read again here) and is left as it is: its new columns fill from the envelopes that follow.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

CASE_INDEX = (
    ("agency", sa.String(40)),
    ("agency_status", sa.String(30)),
    ("agency_status_on", sa.Date()),
    ("answered_on", sa.Date()),
    ("order_deadline", sa.Date()),
)


def upgrade() -> None:
    with op.batch_alter_table("view_case_index") as table:
        for name, kind in CASE_INDEX:
            table.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table("view_people") as table:
        table.add_column(sa.Column("erased", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "view_responsibility",
        sa.Column("beneficiary_id", sa.Uuid(), primary_key=True),
        sa.Column("worker", sa.String(64), nullable=False),
        sa.Column("structure", sa.String(40), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_view_responsibility_worker", "view_responsibility", ["worker"])
    positions = sa.table("view_positions", sa.column("view", sa.String))
    folded = op.get_bind().execute(sa.select(positions.c.view).where(positions.c.view == "casework_views")).first()
    if folded is not None:  # a tenant's store: fold its log again (see above)
        for name in ("view_case_index", "view_contacts", "view_people"):
            op.execute(sa.table(name).delete())
        op.execute(positions.delete().where(positions.c.view == "casework_views"))


def downgrade() -> None:
    op.drop_index("ix_view_responsibility_worker", "view_responsibility")
    op.drop_table("view_responsibility")
    with op.batch_alter_table("view_people") as table:
        table.drop_column("erased")
    with op.batch_alter_table("view_case_index") as table:
        for name, _ in reversed(CASE_INDEX):
            table.drop_column(name)
