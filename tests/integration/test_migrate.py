"""`kentra migrate` is the only DDL; the API and workers wait for it, holding the application's URL only.

Each test gets a database of its own (made by the superuser, owned by the owner role), so "not
migrated" means it: no platform schema, no tenant store.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from uuid import uuid4

import httpx
import psycopg
import pytest
from psycopg import sql
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from gateways.cli import app
from infra.bootstrap import bootstrap
from infra.schema_version import SchemaNotReadyError, requirements, views_head, wait_for_schema
from infra.settings import Settings
from tests.conftest import TEST_MASTER_KEY, service_url
from tests.e2e.test_serve import free_port
from tests.fleet import tenants_file

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
STARTED_WITHIN = 180.0  # generous: a loaded machine takes long to import the app


@dataclass
class Fresh:
    """A database nobody migrated, its two URLs, and a tenants file with one tenant of its own."""

    app_url: str
    owner_url: str
    tenant: str
    tenants_file: Path
    data: Path

    def env(self, *, owner: bool) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KENTRA_") or k.startswith("KENTRA_TEST_")}
        env |= {
            "KENTRA_DATA_DIR": str(self.data),
            "KENTRA_MASTER_KEY": TEST_MASTER_KEY,
            "KENTRA_TENANTS_FILE": str(self.tenants_file),
            "KENTRA_DATABASE_URL": self.app_url,
            "KENTRA_SCHEMA_WAIT_SECONDS": "600",
            "KENTRA_LOG_LEVEL": "INFO",
        }
        if owner:
            env["KENTRA_DATABASE_OWNER_URL"] = self.owner_url
        return env

    def settings(self, *, owner: bool, wait: float = 0.0) -> Settings:
        return Settings(
            data_dir=self.data,
            master_key=SecretStr(TEST_MASTER_KEY),
            tenants_file=self.tenants_file,
            database_url=SecretStr(self.app_url),
            database_owner_url=SecretStr(self.owner_url) if owner else None,
            schema_wait_seconds=wait,
        )

    def relations(self) -> list[tuple[str, ...]]:
        """Every schema's tables, columns, triggers, grants and view versions: what a migration would change."""
        with psycopg.connect(self.owner_url) as conn:
            rows = conn.execute(
                "SELECT n.nspname, c.relname, c.relkind::text, coalesce(c.relacl::text, ''), "
                "(SELECT string_agg(attname || ':' || atttypid::regtype::text, ',' ORDER BY attnum) "
                "   FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped), "
                "(SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = c.oid) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2"
            ).fetchall()
            versions = conn.execute(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'view_migrations'"
            ).fetchall()
            for (schema,) in versions:
                query = sql.SQL("SELECT version_num FROM {}").format(sql.Identifier(schema, "view_migrations"))
                rows += [(schema, "version", *(v for (v,) in conn.execute(query).fetchall()))]
        return [tuple(str(v) for v in row) for row in rows]


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Fresh]:
    superuser = service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL")
    app_url, owner_url = service_url("KENTRA_TEST_DATABASE_URL"), service_url("KENTRA_TEST_DATABASE_OWNER_URL")
    name = f"kentra_migrate_{uuid4().hex[:10]}"
    owner_role = make_url(owner_url).username or "kentra_owner"
    with psycopg.connect(superuser, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner_role)))
    tenant = f"mig-{uuid4().hex[:10]}"

    def url(base: str) -> str:
        return make_url(base).set(database=name).render_as_string(hide_password=False)

    try:
        yield Fresh(
            url(app_url), url(owner_url), tenant, tenants_file(tmp_path, [tenant], shipped=False), tmp_path / "data"
        )
    finally:
        with psycopg.connect(superuser, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            suffix = tenant.replace("-", "_")
            for role in (f"kentra_t_{suffix}", f"kentra_c_{suffix}"):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


class Lines:
    """A process's stderr, line by line, read in a thread so the test can wait for one line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        assert process.stderr is not None
        stream = process.stderr
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, text: str) -> str:
        while True:
            line = self.lines.get(timeout=STARTED_WITHIN)
            if text in line:
                return line


def start(fresh: Fresh, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gateways.cli", *args],
        env=fresh.env(owner=False),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_until_ready(url: str, process: subprocess.Popen[str]) -> None:
    event = threading.Event()
    for _ in range(int(STARTED_WITHIN * 4)):
        assert process.poll() is None, f"exited with {process.returncode}"
        if answers(url):
            return
        event.wait(0.25)
    pytest.fail(f"{url} did not answer within {STARTED_WITHIN} s")


def migrate_here(fresh: Fresh) -> str:
    """`kentra migrate` in this process (quicker than a process of its own); its standard output."""
    result = CliRunner().invoke(app, ["migrate"], env=fresh.env(owner=True))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_serve_and_a_worker_without_the_owner_url_wait_for_migrate_then_start(fresh: Fresh) -> None:
    api_port, health_port = free_port(), free_port()
    api = start(fresh, "serve", "--host", "127.0.0.1", "--port", str(api_port))
    worker = start(fresh, "projections", "run", "--health-port", str(health_port))
    try:
        api_log, worker_log = Lines(api), Lines(worker)
        assert "platform schema" in api_log.wait_for("waiting for `kentra migrate`")
        assert "platform schema" in worker_log.wait_for("waiting for `kentra migrate`")
        # Still waiting, nothing listening yet: no migrate has run, so they cannot have gone on.
        assert api.poll() is None
        assert worker.poll() is None
        assert not answers(f"http://127.0.0.1:{api_port}/health/live")
        assert not answers(f"http://127.0.0.1:{health_port}/health/live")

        assert "1 created" in migrate_here(fresh)

        wait_until_ready(f"http://127.0.0.1:{api_port}/health/ready", api)
        wait_until_ready(f"http://127.0.0.1:{health_port}/health/ready", worker)
        assert "schema ready" in api_log.wait_for("schema ready")
    finally:
        for process in (api, worker):
            process.terminate()
            process.wait(timeout=30)


def test_migrate_twice_changes_nothing_the_second_time(fresh: Fresh) -> None:
    assert "1 created" in migrate_here(fresh)
    before = fresh.relations()
    assert any(row[0] == "kentra_platform" for row in before)
    assert (f"tenant_{fresh.tenant.replace('-', '_')}", "version", views_head()) in before
    assert "0 created, 1 up to date" in migrate_here(fresh)
    assert fresh.relations() == before


def test_migrate_without_the_owner_url_says_so_and_creates_nothing(fresh: Fresh) -> None:
    result = CliRunner().invoke(app, ["migrate"], env={**fresh.env(owner=False), "KENTRA_DATABASE_OWNER_URL": None})
    assert result.exit_code == 1
    assert "KENTRA_DATABASE_OWNER_URL is not set" in " ".join(result.output.split())
    assert fresh.relations() == []


def test_the_wait_fails_after_its_deadline_saying_what_is_missing_and_what_to_run(fresh: Fresh) -> None:
    kentra = bootstrap(fresh.settings(owner=False, wait=0))
    try:
        with pytest.raises(SchemaNotReadyError, match=r"platform schema: missing tables .*users.*`kentra migrate`"):
            wait_for_schema(kentra)
    finally:
        kentra.close()
    env = {**fresh.env(owner=False), "KENTRA_SCHEMA_WAIT_SECONDS": "0"}
    check = CliRunner().invoke(app, ["migrate", "--check"], env=env)
    assert check.exit_code == 1
    assert "Run `kentra migrate`" in " ".join(check.output.split())


def test_a_tenant_store_behind_this_images_views_is_waited_for_until_migrate_brings_it(fresh: Fresh) -> None:
    migrate_here(fresh)
    schema = f"tenant_{fresh.tenant.replace('-', '_')}"
    table = sql.Identifier(schema, "view_migrations")
    with psycopg.connect(fresh.owner_url, autocommit=True) as conn:  # as a store of the previous release
        conn.execute(sql.SQL("UPDATE {} SET version_num = '0008'").format(table))
    kentra = bootstrap(fresh.settings(owner=False, wait=600))
    slept: list[float] = []

    def migrate_meanwhile(seconds: float) -> None:
        slept.append(seconds)
        with psycopg.connect(fresh.owner_url, autocommit=True) as conn:
            conn.execute(sql.SQL("UPDATE {} SET version_num = %s").format(table), (views_head(),))

    try:
        pending = [r for r in requirements(kentra, rollups=True) if not r.ready]
        assert [(r.what, r.detail) for r in pending] == [
            (f"tenant {fresh.tenant}", f"views at 0008, this image needs {views_head()}")
        ]
        wait_for_schema(kentra, rollups=True, sleep=migrate_meanwhile)
        assert len(slept) == 1  # waited once, then found it current
        assert CliRunner().invoke(app, ["migrate", "--check"], env=fresh.env(owner=False)).exit_code == 0
    finally:
        kentra.close()


def test_the_rollup_waits_for_each_regions_schema_which_the_api_does_not_need(fresh: Fresh) -> None:
    migrate_here(fresh)
    kentra = bootstrap(fresh.settings(owner=False, wait=600))
    owner = bootstrap(fresh.settings(owner=True))
    schema = kentra.rollup_schema(fresh.tenant)
    with psycopg.connect(fresh.owner_url, autocommit=True) as conn:  # as before `rollup run` stopped making it
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    slept: list[float] = []

    def migrate_meanwhile(seconds: float) -> None:
        slept.append(seconds)
        owner.provision_rollup(fresh.tenant)

    try:
        assert all(r.ready for r in requirements(kentra))  # the API and the followers need no roll-up
        pending = [(r.what, r.detail) for r in requirements(kentra, rollups=True) if not r.ready]
        assert pending == [(f"roll-up {schema}", "not created yet")]
        wait_for_schema(kentra, rollups=True, sleep=migrate_meanwhile)
        assert len(slept) == 1
    finally:
        kentra.close()
        owner.close()
