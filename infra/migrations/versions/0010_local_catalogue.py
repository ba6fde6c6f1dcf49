"""Tenant stores: the local catalogue's codes beside the national ones in the views (issue 23).

``view_case_index.local_subtype`` holds the municipality's own code of a request category, referral
destination, visit purpose or activity kind (``subtype`` keeps the national code it maps to). As in
0009, a tenant store's casework views are then emptied with their position, so that the next catch-up
(or ``kentra projections rebuild``) folds the whole log again. A Region's store (no
``casework_views`` position) is left as it is: local codes never leave the municipality, so the
column stays null there.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"

FOLDED = (
    "view_case_index",
    "view_contacts",
    "view_people",
    "view_responsibility",
    "view_operation_entries",
    "view_operation_exits",
)


def upgrade() -> None:
    with op.batch_alter_table("view_case_index") as table:
        table.add_column(sa.Column("local_subtype", sa.String(40), nullable=True))
    positions = sa.table("view_positions", sa.column("view", sa.String))
    folded = op.get_bind().execute(sa.select(positions.c.view).where(positions.c.view == "casework_views")).first()
    if folded is not None:  # a tenant's store: fold its log again (see above)
        for name in FOLDED:
            op.execute(sa.table(name).delete())
        op.execute(positions.delete().where(positions.c.view == "casework_views"))


def downgrade() -> None:
    with op.batch_alter_table("view_case_index") as table:
        table.drop_column("local_subtype")
