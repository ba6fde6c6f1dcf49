"""Issue 22 attacked as a determined user and operator would: each test is a way in that was open."""

from __future__ import annotations

import base64
import os
import threading
from datetime import date
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql
from pydantic import SecretStr
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from domain.identifiers import make_amka
from gateways.import_jobs import JobWorker
from gateways.kafka.gateway import published_position
from infra.backup import backup
from infra.bootstrap import Kentra, bootstrap
from infra.jobs import chunks
from infra.leases import worker_leases
from tests.conftest import TEST_MASTER_KEY, Clock, service_url
from tests.integration.test_cli import run
from tests.integration.test_jobs import Platform, people, platform, registered

__all__ = ["platform"]  # the fixture, shared with test_jobs: two provisioned municipalities


@pytest.mark.parametrize("planted", ["absolute", "../../../planted.csv"])
def test_a_forged_job_rows_file_name_writes_nothing_outside_the_workers_private_folder(
    platform: Platform, tmp_path: Path, planted: str
) -> None:
    """Whoever can write the platform's rows (the application's role, which every pod holds) names the
    upload's file in ``params``: the worker must not take it as a path to write the clear upload to."""
    kentra = platform.kentra()
    tenant = platform.tenant
    try:
        target = tmp_path / "planted.csv" if planted == "absolute" else platform.settings.data_dir / "planted.csv"
        name = str(target) if planted == "absolute" else planted
        upload = tmp_path / "few.csv"
        born = date(1961, 3, 3) if planted == "absolute" else date(1961, 3, 4)
        upload.write_bytes(people(1, born))
        key = kentra.keys(kentra.registry.tenant(tenant)).job_file_key()
        job_id = uuid4().hex
        params = {"file": name, "kind": None, "dry_run": False}
        kentra.jobs.submit(
            job_id=job_id, kind="import", tenant=tenant, asked_by="t", params=params, upload=upload, key=key
        )
        worker = JobWorker(kentra, [tenant])
        while kentra.jobs.get(job_id).status in ("queued", "running"):  # type: ignore[union-attr]
            assert worker.run_one(threading.Event())
        assert not target.exists()  # the clear upload was not written where the row said
        ended = kentra.jobs.get(job_id)
        assert ended is not None
        assert ended.status == "failed"
        assert registered(kentra, tenant, born, 1) == 0
    finally:
        kentra.close()


def test_a_job_row_of_a_kind_no_worker_runs_fails_and_records_nothing(platform: Platform, tmp_path: Path) -> None:
    """A forged row (or one of a later version) of another kind: the worker must not run its file as an import."""
    kentra = platform.kentra()
    tenant = platform.tenant
    try:
        upload = tmp_path / "few.csv"
        born = date(1961, 3, 5)
        upload.write_bytes(people(1, born))
        key = kentra.keys(kentra.registry.tenant(tenant)).job_file_key()
        job_id = uuid4().hex
        params = {"file": upload.name, "kind": None, "dry_run": False}
        kentra.jobs.submit(
            job_id=job_id, kind="erasure", tenant=tenant, asked_by="t", params=params, upload=upload, key=key
        )
        assert JobWorker(kentra, [tenant]).run_one(threading.Event())
        ended = kentra.jobs.get(job_id)
        assert ended is not None
        assert ended.status == "failed"
        assert registered(kentra, tenant, born, 1) == 0
    finally:
        kentra.close()


def _import_people(kentra: Kentra, tenant: str, born: date, folder: Path) -> None:
    """One person imported through a job, run here (new events in the tenant's log)."""
    upload = folder / f"people-{born:%Y%m%d}.csv"
    upload.write_bytes(people(1, born))
    key = kentra.keys(kentra.registry.tenant(tenant)).job_file_key()
    params = {"file": upload.name, "kind": None, "dry_run": False}
    job_id = uuid4().hex
    kentra.jobs.submit(job_id=job_id, kind="import", tenant=tenant, asked_by="t", params=params, upload=upload, key=key)
    worker = JobWorker(kentra, [tenant])
    while kentra.jobs.get(job_id).status in ("queued", "running"):  # type: ignore[union-attr]
        assert worker.run_one(threading.Event())
    assert registered(kentra, tenant, born, 1) == 1


def test_a_gateway_still_publishes_a_tenant_whose_lease_row_lost_its_token(platform: Platform, tmp_path: Path) -> None:
    """The lease table's tokens began again (its rows cleared by an operator, forged, or brought back from
    an older copy) while the tenant's fence kept the newer one: the gateway must not stop that tenant for
    ever with only a line in its log."""
    kentra = platform.kentra()
    tenant = platform.tenant
    try:
        if platform.kind == "postgres":
            assert run(platform.env, "migrate")[0] == 0  # the Regions' schemas the in-process roll-up writes
        _import_people(kentra, tenant, date(1962, 5, 5), tmp_path)
        for _ in range(2):  # two takes: the tenant's fence holds token 2
            code, _, err = run(platform.env, "gateway", "run", "--once")
            assert code == 0, err
        assert published_position(kentra, tenant) > 0
        with kentra.accounts.engine.begin() as conn:  # as the application's role may
            conn.execute(
                update(worker_leases)
                .where(worker_leases.c.kind == "gateway", worker_leases.c.tenant_id == tenant)
                .values(token=0, holder=None, expires_at=0.0)
            )
        _import_people(kentra, tenant, date(1962, 5, 6), tmp_path)
        head = kentra.casework(tenant).recorder.max_notification_id()
        code, _, err = run(platform.env, "gateway", "run", "--once")
        assert code == 0, err
        assert published_position(kentra, tenant) == head
    finally:
        kentra.close()


def test_an_upload_altered_in_the_database_fails_its_job_and_leaves_no_heartbeat_running(
    platform: Platform, tmp_path: Path
) -> None:
    """A chunk that does not open (altered, or another job's moved in): the job must end as failed, not
    stay 'running' for ever under a heartbeat thread that nothing stops (no other worker could take it)."""
    kentra = platform.kentra()
    tenant = platform.tenant
    try:
        upload = tmp_path / "few.csv"
        upload.write_bytes(people(1, date(1963, 7, 7)))
        key = kentra.keys(kentra.registry.tenant(tenant)).job_file_key()
        job_id = uuid4().hex
        params = {"file": upload.name, "kind": None, "dry_run": False}
        kentra.jobs.submit(
            job_id=job_id, kind="import", tenant=tenant, asked_by="t", params=params, upload=upload, key=key
        )
        with kentra.jobs.engine.begin() as conn:  # one byte of the sealed upload changed
            data = conn.execute(select(chunks.c.data).where(chunks.c.job_id == job_id)).scalar_one()
            altered = data[:-1] + bytes([data[-1] ^ 1])
            conn.execute(update(chunks).where(chunks.c.job_id == job_id).values(data=altered))
        assert JobWorker(kentra, [tenant]).run_one(threading.Event())
        ended = kentra.jobs.get(job_id)
        assert ended is not None
        assert ended.status == "failed"
        assert ended.error is not None
        assert not [t for t in threading.enumerate() if t.name == f"job-heartbeat-{job_id}" and t.is_alive()]
    finally:
        kentra.close()


@pytest.mark.parametrize("table", ["users", "kentra_jobs", "kentra_job_chunks", "worker_leases"])
def test_a_transaction_as_a_tenants_role_reaches_no_platform_table(platform: Platform, table: str) -> None:
    """A statement of one tenant's (its role taken) that names the platform's tables: another tenant's
    uploads, the leases, the users' password hashes. The database refuses it."""
    if platform.kind != "postgres":
        pytest.skip("roles are PostgreSQL's")
    kentra = platform.kentra()
    try:
        engine, _ = kentra.storage(platform.tenant).views_engine()
        with pytest.raises(ProgrammingError, match="permission denied"), engine.connect() as conn:
            conn.execute(text(f"SELECT count(*) FROM kentra_platform.{table}"))
    finally:
        kentra.close()


def test_a_person_erased_while_a_second_upload_of_their_file_waits_is_not_registered_again(
    platform: Platform, tmp_path: Path
) -> None:
    """Durable jobs wait (workers down for a day): a file re-uploaded before a person's erasure runs
    after it. Its row of that person must not bring them back."""
    kentra = platform.kentra()
    tenant = platform.tenant
    born = date(1964, 9, 9)
    try:
        _import_people(kentra, tenant, born, tmp_path)
        upload = tmp_path / "again.csv"
        upload.write_bytes(people(1, born))
        key = kentra.keys(kentra.registry.tenant(tenant)).job_file_key()
        params = {"file": upload.name, "kind": None, "dry_run": False}
        job_id = uuid4().hex
        kentra.jobs.submit(
            job_id=job_id, kind="import", tenant=tenant, asked_by="t", params=params, upload=upload, key=key
        )
        person = kentra.casework(tenant).find_many_by_amka([make_amka(born, 0)])[make_amka(born, 0)]
        assert person is not None
        kentra.erase(tenant, person, reason="asked", legal_ground="art. 17(1)(b)", erased_by="coord")
        assert registered(kentra, tenant, born, 1) == 0
        worker = JobWorker(kentra, [tenant])
        while kentra.jobs.get(job_id).status in ("queued", "running"):  # type: ignore[union-attr]
            assert worker.run_one(threading.Event())
        assert registered(kentra, tenant, born, 1) == 0
    finally:
        kentra.close()


def test_the_nightly_backup_runs_as_a_read_only_role_with_the_applications_url(
    platform: Platform, tmp_path: Path
) -> None:
    """The CronJob holds `kentra_backup` (pg_read_all_data) under the owner's file name, and the
    application's URL: no CREATEROLE anywhere. The backup must work with exactly that."""
    if platform.kind != "postgres":
        pytest.skip("roles are PostgreSQL's")
    superuser = service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL")
    name, password = f"kentra_backup_{uuid4().hex[:8]}", uuid4().hex
    with psycopg.connect(superuser, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE pg_read_all_data").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )
    try:
        app = make_url(platform.env["KENTRA_DATABASE_URL"])
        reader = app.set(username=name, password=password).render_as_string(hide_password=False)
        settings = platform.settings.model_copy(update={"database_owner_url": SecretStr(reader)})
        kentra = bootstrap(settings, today=Clock())
        try:
            manifest = backup(kentra, tmp_path / "nightly")
        finally:
            kentra.close()
        assert platform.tenant in manifest["tenants"]
        assert (tmp_path / "nightly" / next(iter(manifest["files"]))).stat().st_size > 0
    finally:
        with psycopg.connect(superuser, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_a_master_key_rotation_runs_without_the_owners_url(platform: Platform) -> None:
    """Only `kentra migrate` holds the owner's secret now; a rotation re-wraps rows the tenant's role may
    write, so it must not need CREATEROLE (it still provisioned the store, for a password tenant roles
    no longer have). Last in the module: it rotates the fixture's second tenant, which no other uses."""
    if platform.kind != "postgres":
        pytest.skip("the owner's URL is PostgreSQL's")
    new_key = base64.b64encode(os.urandom(32)).decode()
    settings = platform.settings.model_copy(
        update={
            "master_key": SecretStr(new_key),
            "previous_master_key": SecretStr(TEST_MASTER_KEY),
            "database_owner_url": None,
        }
    )
    kentra = bootstrap(settings, today=Clock())
    try:
        assert kentra.rotate_master_key(platform.other) >= 0
        assert kentra.rotate_master_key(platform.other) == 0  # all under the new key now
    finally:
        kentra.close()
    after = bootstrap(settings.model_copy(update={"previous_master_key": None}), today=Clock())
    try:  # the tenant's stored secrets open with the new key alone
        assert after.storage(platform.other).vault(after.keys(after.registry.tenant(platform.other))).stored_secrets()
    finally:
        after.close()
