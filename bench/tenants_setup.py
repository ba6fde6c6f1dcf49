"""The ground `bench.tenants` stands on: a database of its own on the test server (dropped at the end
with the tenants' roles), a tenants file of synthetic municipalities, their stores and coordinators."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bench.common import BENCH_MASTER_KEY, TODAY
from infra.bootstrap import bootstrap
from infra.settings import Settings
from services.access import Principal, Role

DATABASE = "kentra_bench"
SAMPLED = 8  # tenants whose coordinators the clients act for, spread over the list
PASSWORD = "a long benchmark password"
PREFIX = "scale"  # tenant ids scale-<run>-<n>: roles kentra_t_scale_<run>_<n>, dropped at the end


@dataclass
class Urls:
    app: str
    owner: str
    superuser: str  # to the maintenance database: creating, watching and dropping the bench's
    cap: int
    port: int


def _cap(conn: psycopg.Connection[Any]) -> int:
    """Connections the bench's database may take: what the server has, less what others use now and
    a margin for them; at least 30 (a 4-tenant API and worker of today's code need 40 at once)."""
    row = conn.execute(
        "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
        " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
    ).fetchone()
    free = int(row[0]) if row else 0
    return max(30, min(60, free - 30))


def _drop_roles(conn: psycopg.Connection[Any], pattern: str) -> None:
    roles = [r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (pattern,)).fetchall()]
    for role in roles:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@contextmanager
def bench_database(run: str) -> Iterator[Urls]:
    """A database of the bench's own on the test server, dropped afterwards with this run's roles."""
    superuser = os.environ.get("KENTRA_TEST_DATABASE_SUPERUSER_URL")
    if not superuser:
        raise LookupError("KENTRA_TEST_DATABASE_SUPERUSER_URL is not set: the bench makes a database of its own")
    app, owner = (make_url(os.environ[name]) for name in ("KENTRA_TEST_DATABASE_URL", "KENTRA_TEST_DATABASE_OWNER_URL"))
    maintenance = make_url(superuser).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
        _drop_roles(conn, f"kentra\\_%\\_{PREFIX}\\_%")  # a run that was interrupted
        cap = _cap(conn)
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} CONNECTION LIMIT {}").format(
                sql.Identifier(DATABASE), sql.Identifier(owner.username or ""), sql.Literal(cap)
            )
        )
    inside = make_url(superuser).set(database=DATABASE).render_as_string(hide_password=False)
    with psycopg.connect(inside, autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")  # as infra/services/postgres.sh does
    try:
        yield Urls(
            app.set(database=DATABASE).render_as_string(hide_password=False),
            owner.set(database=DATABASE).render_as_string(hide_password=False),
            maintenance,
            cap,
            app.port or 5432,
        )
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
            _drop_roles(conn, f"kentra\\_%\\_{PREFIX}\\_{run}\\_%")


def _settings(directory: Path, listed: Path, urls: Urls) -> Settings:
    return Settings(
        data_dir=directory,
        master_key=SecretStr(BENCH_MASTER_KEY),
        tenants_file=listed,
        database_url=SecretStr(urls.app),
        database_owner_url=SecretStr(urls.owner),
    )


def provision(directory: Path, listed: Path, urls: Urls, new: list[str]) -> None:
    """The platform, then ``new`` tenants' stores, a few at a time (each batch's connections closed)."""
    for first in range(0, max(len(new), 1), 8):
        kentra = bootstrap(_settings(directory, listed, urls), today=lambda: TODAY)
        try:
            if first == 0:
                kentra.provision_platform()
            for tenant_id in new[first : first + 8]:
                kentra.provision(tenant_id)
        finally:
            kentra.close()


def add_coordinators(directory: Path, listed: Path, urls: Urls, tenant_ids: list[str]) -> None:
    """A coordinator of each of ``tenant_ids``, who signs in as ``coord.<tenant>``."""
    kentra = bootstrap(_settings(directory, listed, urls), today=lambda: TODAY)
    try:
        for tenant_id in tenant_ids:
            kentra.accounts.add(Principal(f"coord.{tenant_id}", Role.COORDINATOR, frozenset({tenant_id})), PASSWORD)
    finally:
        kentra.close()


def sample(ids: list[str]) -> list[str]:
    """Up to SAMPLED tenants spread evenly over ``ids``, the first and the last among them."""
    k = min(SAMPLED, len(ids))
    return [ids[round(i * (len(ids) - 1) / max(k - 1, 1))] for i in range(k)]
