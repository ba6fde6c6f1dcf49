"""The migrations build exactly the read models projections/tables.py describes, on both stores."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table, text

from infra.migrations.runner import upgrade_views
from projections.tables import metadata
from tests.conftest import StoreUnderTest


def is_other_table(difference: object) -> bool:
    """On PostgreSQL the tenant's schema also holds its log and vault, which the views do not declare."""
    if not (isinstance(difference, tuple) and difference[0] in ("remove_table", "remove_index")):
        return False
    target = difference[1]
    table = target if isinstance(target, Table) else target.table
    return table.name not in metadata.tables


def test_migrations_leave_no_difference_from_the_declared_views(store: StoreUnderTest) -> None:
    engine, schema = store.kentra.storage(store.tenant.id).views_engine()
    with engine.connect() as conn:
        if schema:
            conn.execute(text(f'SET search_path TO "{schema}"'))
        context = MigrationContext.configure(conn, opts={"version_table": "view_migrations"})
        assert context.get_current_revision() == "0013"
        differences = [d for d in compare_metadata(context, metadata) if not is_other_table(d)]
    assert differences == []


def test_running_the_migrations_again_changes_nothing(store: StoreUnderTest) -> None:
    storage = store.kentra.storage(store.tenant.id)
    if store.kind == "sqlite":
        upgrade_views(storage.views_engine()[0])
    else:
        store.kentra.provision(store.tenant.id)  # as the owner, like `kentra tenants sync`
    test_migrations_leave_no_difference_from_the_declared_views(store)
