"""Alembic environment for a tenant's read models; run per tenant by infra.migrations.runner."""

from __future__ import annotations

from alembic import context

from projections.tables import metadata

connection = context.config.attributes["connection"]
schema = context.config.attributes.get("schema")
if schema:  # PostgreSQL: the tenant's own schema; unqualified names land there
    connection.exec_driver_sql(f'SET search_path TO "{schema}"')
context.configure(
    connection=connection, target_metadata=metadata, version_table="view_migrations", version_table_schema=schema
)
with context.begin_transaction():
    context.run_migrations()
