"""Tenant stores: documents' sealed bytes, where the database holds them (issue 23). Nothing to do here:
their table ``vault_documents`` belongs with the vault (mutable, personal, deleted and compacted at an
erasure), so it is made as the vault's tables are (``infra/vault_tables.py``, ``SqlVault.create_tables``
at ``kentra migrate`` / ``tenants sync``), not by the views' migrations. The revision stays, empty, so a
store already stamped 0012 still finds it.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
