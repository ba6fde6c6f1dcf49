"""Durable jobs (issue 22, part 3): an import is a row every API replica answers for, any worker runs,
and a worker killed mid-import leaves to another, which records nothing twice."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, update

from domain.identifiers import make_amka
from gateways.http.app import create_app
from gateways.import_jobs import JobWorker, scratch
from infra.bootstrap import Kentra, bootstrap
from infra.jobs import MAX_ATTEMPTS, SealedFileError, chunks, jobs
from infra.settings import Settings
from infra.tenant_registry import load_registry
from services.access import Principal, Role
from services.importing import BATCH
from tests.conftest import TEST_MASTER_KEY, Clock, service_url
from tests.fleet import tenants_file
from tests.integration.test_cli import run
from tests.integration.test_import import BENEFICIARIES

PASSWORD = "a long test password"
ROOT = Path(__file__).parents[2]
DEADLINE = 60.0


def backdate(kentra: Kentra, job_id: str, *, hours: float) -> None:
    """Move a job's times ``hours`` into the past (as if it had ended then)."""
    row = kentra.jobs.get(job_id)
    assert row is not None
    shift = {
        name: getattr(row, name) - timedelta(hours=hours)
        for name in ("created_at", "started_at", "heartbeat_at", "finished_at")
        if getattr(row, name) is not None
    }
    with kentra.jobs.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(**shift))


def finished_job(kentra: Kentra, tenant: str, job_id: str, folder: Path) -> None:
    """A finished import job with an empty report, for tests that only fetch one."""
    upload = folder / "empty.csv"
    upload.write_text("ref\n", encoding="utf-8")
    key = kentra.keys(kentra.registry.tenant(tenant)).job_file_key()
    params = {"file": upload.name, "kind": None, "dry_run": True}
    kentra.jobs.submit(
        job_id=job_id, kind="import", tenant=tenant, asked_by="fuzz", params=params, upload=upload, key=key
    )
    taken = kentra.jobs.take("test", [tenant], kentra.settings.job_lease_seconds)
    assert taken is not None
    assert taken.id == job_id
    report = folder / "report.csv"
    report.write_text("file,line,field,el,en\n", encoding="utf-8")
    assert kentra.jobs.finish(taken, status="done", summary={}, error=None, progress={}, report=report, key=key)


def people(count: int, born: date) -> bytes:
    """A beneficiaries file of ``count`` people born on ``born`` (each test its own day, so the tests of
    the module's one platform never share a person), each with an ΑΜΚΑ and ref of their own."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(BENEFICIARIES[0])
    for n in range(count):
        row = list(BENEFICIARIES[1])
        row[0], row[1] = f"K-{born:%Y%m%d}-{n}", "2024-05-02"  # the test municipality's centre opened 2024-03
        row[5], row[6] = born.isoformat(), make_amka(born, n)
        writer.writerow(row)
    return buffer.getvalue().encode()


@dataclass
class Platform:
    """One platform (SQLite files or PostgreSQL) and how to start more processes over it."""

    kind: str
    settings: Settings
    tenant: str
    other: str
    env: dict[str, str]

    def kentra(self) -> Kentra:
        return bootstrap(self.settings, today=Clock())

    def app(self, kentra: Kentra) -> TestClient:
        return TestClient(create_app(kentra), raise_server_exceptions=False)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Platform:
    """Two provisioned municipalities with a coordinator of each, a caseworker and an auditor of the first;
    built once per kind of store (provisioning and the users' Argon2 hashes take seconds)."""
    tmp_path = tmp_path_factory.mktemp(f"jobs-{request.param}")
    tenant, other = f"jobs-{uuid4().hex[:10]}", f"jobs-{uuid4().hex[:10]}"
    registry = tenants_file(tmp_path, [tenant], roma=True)
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text + "\n[[tenants]]" + text.split("[[tenants]]")[-1].replace(tenant, other), encoding="utf-8")
    env = {
        "KENTRA_DATA_DIR": str(tmp_path / "data"),
        "KENTRA_MASTER_KEY": TEST_MASTER_KEY,
        "KENTRA_TENANTS_FILE": str(registry),
        "KENTRA_JOB_LEASE_SECONDS": "5",
    }
    if request.param == "postgres":
        env["KENTRA_DATABASE_URL"] = service_url("KENTRA_TEST_DATABASE_URL")
        env["KENTRA_DATABASE_OWNER_URL"] = service_url("KENTRA_TEST_DATABASE_OWNER_URL")
    settings = Settings(
        data_dir=tmp_path / "data",
        master_key=SecretStr(TEST_MASTER_KEY),
        tenants_file=registry,
        job_lease_seconds=5,
        serve_runs_jobs=False,  # each test says which worker runs the job
        database_url=SecretStr(env["KENTRA_DATABASE_URL"]) if "KENTRA_DATABASE_URL" in env else None,
        database_owner_url=SecretStr(env["KENTRA_DATABASE_OWNER_URL"]) if "KENTRA_DATABASE_URL" in env else None,
    )
    assert {tenant, other} <= {t.id for t in load_registry(registry).tenants}
    kentra = bootstrap(settings, today=Clock())
    try:
        kentra.provision_platform()
        for tid in (tenant, other):
            kentra.provision(tid)
        for name, role, scope, structure in (
            ("coord", Role.COORDINATOR, tenant, None),
            ("other", Role.COORDINATOR, other, None),
            ("cw", Role.CASEWORKER, tenant, "centre"),
            ("auditor", Role.AUDITOR, tenant, None),
        ):
            kentra.accounts.add(Principal(f"{name}.{tenant}", role, frozenset({scope}), structure=structure), PASSWORD)
    finally:
        kentra.close()
    return Platform(request.param, settings, tenant, other, env)


def sign_in(client: TestClient, user: str) -> dict[str, str]:
    """A session of ``user`` (one of the fixture's), opened without the Argon2 check of a password."""
    kentra: Kentra = client.app.state.kentra  # type: ignore[attr-defined]
    return {"Authorization": "Bearer " + kentra.sessions.open(Principal(user, Role.COORDINATOR))}


def upload(client: TestClient, headers: dict[str, str], tenant: str, content: bytes, name: str = "people.csv") -> str:
    answer = client.post(
        f"/api/v1/tenants/{tenant}/imports", headers=headers, files={"file": (name, content, "text/csv")}
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def until(found: Any, what: str) -> Any:
    """Poll ``found()`` until it answers something true (a readiness wait, never a fixed sleep)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def registered(kentra: Kentra, tenant: str, born: date, count: int) -> int:
    """How many of the ``count`` people of ``people(count, born)`` the tenant has registered."""
    amkas = [make_amka(born, n) for n in range(count)]
    return sum(1 for found in kentra.casework(tenant).find_many_by_amka(amkas).values() if found)


def registrations(kentra: Kentra, tenant: str) -> int:
    """How many registrations the tenant's log holds (an intake recorded twice would be two)."""
    recorder = kentra.casework(tenant).recorder
    notes = recorder.select_notifications(
        start=1, limit=1_000_000, topics=["domain.beneficiaries:Beneficiary.Registered"]
    )
    return len(notes)


def test_an_import_uploaded_to_one_api_process_is_seen_and_finished_from_another(platform: Platform) -> None:
    first, second, third = platform.kentra(), platform.kentra(), platform.kentra()
    tenant, born = platform.tenant, date(1971, 1, 1)
    imports = f"/api/v1/tenants/{tenant}/imports"
    try:
        with platform.app(first) as one, platform.app(second) as two:
            coordinator = sign_in(two, f"coord.{tenant}")
            job = upload(one, sign_in(one, f"coord.{tenant}"), tenant, people(3, born))
            queued = two.get(f"{imports}/{job}", headers=coordinator)
            assert queued.status_code == 200, queued.text
            assert (queued.json()["status"], queued.json()["file"]) == ("queued", "people.csv")
            assert two.get(f"{imports}/{job}/report", headers=coordinator).status_code == 404  # not yet

            worker = JobWorker(third, [tenant])  # neither API process: a worker of its own
            assert worker.run_one(threading.Event())
            done = two.get(f"{imports}/{job}", headers=coordinator).json()
            assert (done["status"], done["summary"]["recorded"], done["rows_done"], done["rows_total"]) == (
                "done",
                3,
                3,
                3,
            )
            stored = second.jobs.get(job)
            assert stored is not None
            assert stored.worker == worker.name
            report = two.get(f"{imports}/{job}/report", headers=coordinator)
            assert report.status_code == 200
            assert report.content.decode("utf-8-sig").startswith("αρχείο / file")
            assert registered(second, tenant, born, 3) == 3
        code, out, _ = run(platform.env, "jobs", "list", "--tenant", tenant)
        assert code == 0
        listed = {each["id"]: each for each in json.loads(out)}
        assert (listed[job]["status"], listed[job]["worker"], listed[job]["attempts"]) == ("done", worker.name, 1)
    finally:
        for kentra in (first, second, third):
            kentra.close()


def test_no_one_but_the_tenants_coordinator_sees_an_import_job(platform: Platform) -> None:
    kentra = platform.kentra()
    tenant, other = platform.tenant, platform.other
    try:
        with platform.app(kentra) as client:
            job = upload(client, sign_in(client, f"coord.{tenant}"), tenant, people(1, date(1972, 1, 1)))
            JobWorker(kentra, [tenant]).run_one(threading.Event())
            for user in (f"other.{tenant}", f"cw.{tenant}", f"auditor.{tenant}"):
                headers = sign_in(client, user)
                for path in (
                    f"/api/v1/tenants/{tenant}/imports/{job}",
                    f"/api/v1/tenants/{tenant}/imports/{job}/report",
                ):
                    assert client.get(path, headers=headers).status_code == 403, (user, path)
            # The other tenant's coordinator, asking under their own tenant, finds no such job.
            headers = sign_in(client, f"other.{tenant}")
            for path in (f"/api/v1/tenants/{other}/imports/{job}", f"/api/v1/tenants/{other}/imports/{job}/report"):
                answer = client.get(path, headers=headers)
                assert answer.status_code == 404, (path, answer.text)
            # Nor does the job's own file open under the other tenant's key.
            key = kentra.keys(kentra.registry.tenant(other)).job_file_key()
            with pytest.raises(SealedFileError):
                b"".join(kentra.jobs.open_file(job, "report", key))
    finally:
        kentra.close()


def test_an_uploads_and_its_reports_bytes_in_the_database_hold_no_personal_data_in_clear(platform: Platform) -> None:
    kentra = platform.kentra()
    tenant = platform.tenant
    content = (
        people(2, date(1973, 1, 1))
        + b"K-bad,2019-13-01,centre,\xce\x9c\xce\xb1\xcf\x81\xce\xaf\xce\xb1,Test,1970-01-01,,female\n"
    )
    secrets = [BENEFICIARIES[1][3].encode(), BENEFICIARIES[1][4].encode(), make_amka(date(1973, 1, 1), 1).encode()]
    try:
        with platform.app(kentra) as client:
            job = upload(client, sign_in(client, f"coord.{tenant}"), tenant, content)

            def raw(name: str) -> bytes:
                with kentra.jobs.engine.connect() as conn:
                    query = select(chunks.c.data).where(chunks.c.job_id == job, chunks.c.name == name)
                    return b"".join(bytes(row.data) for row in conn.execute(query))

            uploaded = raw("upload")
            assert uploaded
            assert not [s for s in [*secrets, b"K-19730101-1", "Κωδικός".encode()] if s in uploaded]
            JobWorker(kentra, [tenant]).run_one(threading.Event())
            report = raw("report")
            assert report
            assert "αρχείο".encode() not in report
            assert b"people.csv" not in report
            assert not raw("upload")  # gone once the job ended
            with kentra.jobs.engine.connect() as conn:
                row = conn.execute(select(jobs).where(jobs.c.id == job)).one()
            assert not [s.decode() for s in secrets if s.decode() in repr(tuple(row))]
    finally:
        kentra.close()


def test_a_worker_that_lost_its_job_to_another_writes_nothing(platform: Platform) -> None:
    kentra = platform.kentra()
    tenant = platform.tenant
    key = kentra.keys(kentra.registry.tenant(tenant)).job_file_key()
    try:
        upload_file = platform.settings.data_dir / "few.csv"
        upload_file.write_bytes(people(1, date(1974, 1, 1)))
        params = {"file": "few.csv", "kind": None, "dry_run": False}
        job_id = uuid4().hex
        kentra.jobs.submit(
            job_id=job_id, kind="import", tenant=tenant, asked_by="t", params=params, upload=upload_file, key=key
        )
        paused = kentra.jobs.take("paused", [tenant], 5)
        assert paused is not None
        assert paused.id == job_id
        assert kentra.jobs.take("other", [tenant], 5) is None  # held: nobody else takes it
        backdate(kentra, job_id, hours=1)  # its heartbeat lapsed (the worker was paused past its lease)
        taken = kentra.jobs.take("other", [tenant], 5)
        assert taken is not None
        assert (taken.id, taken.attempts) == (job_id, 2)
        assert not kentra.jobs.heartbeat(paused, {"rows_done": 99})
        assert not kentra.jobs.finish(paused, status="done", summary={}, error=None, progress={}, report=None, key=key)
        stored = kentra.jobs.get(job_id)
        assert stored is not None
        assert (stored.status, stored.worker, stored.progress) == (
            "running",
            "other",
            {"rows_done": 0},
        )
        for attempt in range(3, MAX_ATTEMPTS + 1):  # a job that keeps stopping its workers ends as failed
            backdate(kentra, job_id, hours=1)
            again = kentra.jobs.take(f"w{attempt}", [tenant], 5)
            assert again is not None
            assert again.attempts == attempt
        backdate(kentra, job_id, hours=1)
        assert kentra.jobs.take("last", [tenant], 5) is None
        failed = kentra.jobs.get(job_id)
        assert failed is not None
        assert failed.status == "failed"
        assert not kentra.jobs.has_file(job_id, "upload")  # gone with the job's end
        backdate(kentra, job_id, hours=kentra.settings.import_report_retention_hours + 1)
        assert kentra.jobs.expire(kentra.settings.import_report_retention_hours) >= 1
        assert kentra.jobs.get(job_id) is None  # the application role may delete what retention ends
    finally:
        kentra.close()


def worker_process(platform: Platform) -> subprocess.Popen[bytes]:
    """`kentra jobs run` in a process of its own, over the platform's stores."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENTRA_")} | platform.env
    return subprocess.Popen(
        [sys.executable, "-m", "gateways.cli", "jobs", "run", "--tenant", platform.tenant],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stopped(worker: subprocess.Popen[bytes], signum: int, kentra: Kentra, job: str) -> str:
    """Send ``signum`` once the worker has recorded some rows of the job; its standard error."""

    def midway() -> bool:
        found = kentra.jobs.get(job)
        return found is not None and found.status == "running" and found.progress["rows_done"] > 0

    try:
        until(midway, "the worker to record some rows")
        worker.send_signal(signum)
        _, errors = worker.communicate(timeout=DEADLINE)
    finally:
        worker.kill()
    return errors.decode(errors="replace")[-2000:]


def test_a_worker_killed_mid_import_leaves_the_job_to_another_which_records_each_row_once(platform: Platform) -> None:
    if platform.kind == "sqlite":  # the production case; the embedded take-over is the lease test's
        pytest.skip("two worker processes on one SQLite file: covered by the lease and cross-process tests")
    kentra = platform.kentra()
    tenant, born, count = platform.tenant, date(1975, 1, 1), 2 * BATCH  # two batches
    try:
        with platform.app(kentra) as client:
            coordinator = sign_in(client, f"coord.{tenant}")
            before = registrations(kentra, tenant)
            job = upload(client, coordinator, tenant, people(count, born))

            # SIGKILL once it recorded a batch: the job stays running under a lease nobody renews.
            errors = stopped(worker_process(platform), signal.SIGKILL, kentra, job)
            left = client.get(f"/api/v1/tenants/{tenant}/imports/{job}", headers=coordinator).json()
            assert left["status"] == "running", (left, errors)
            assert 0 < left["rows_done"] < count
            assert 0 < registered(kentra, tenant, born, count) < count

            second = JobWorker(kentra, [tenant])
            until(lambda: second.run_one(threading.Event()), "another worker to take the job after the lease")
            done = client.get(f"/api/v1/tenants/{tenant}/imports/{job}", headers=coordinator).json()
            assert done["status"] == "done", done
            summary = done["summary"]
            assert (summary["rows"], done["rows_done"], done["rows_total"]) == (count, count, count)
            assert summary["unchanged"] > 0  # the rows the killed worker recorded, found again
            assert summary["recorded"] + summary["unchanged"] + summary["matched"] == count
            assert registered(kentra, tenant, born, count) == count
            assert registrations(kentra, tenant) - before == count  # each row once
            # The killed worker's clear copy of the upload went with the next worker's first folder.
            assert not list((platform.settings.data_dir / "imports").glob("job-*/**/people.csv"))
            stored = kentra.jobs.get(job)
            assert stored is not None
            assert (stored.attempts, stored.worker) == (2, second.name)
    finally:
        kentra.close()


def test_a_stopping_worker_gives_its_job_back_to_the_queue_for_the_next_at_once(platform: Platform) -> None:
    kentra = platform.kentra()
    tenant = platform.tenant
    try:
        with platform.app(kentra) as client:
            # Named as the report the worker writes beside it: still read whole.
            job = upload(client, sign_in(client, f"coord.{tenant}"), tenant, people(2, date(1976, 1, 1)), "report.csv")
            stopping = threading.Event()
            stopping.set()  # SIGTERM came: the job is given back at its first report, before its rows
            assert JobWorker(kentra, [tenant]).run_one(stopping)
            given_back = kentra.jobs.get(job)
            assert given_back is not None
            assert (given_back.status, given_back.worker, given_back.attempts) == ("queued", None, 0)
            assert registered(kentra, tenant, date(1976, 1, 1), 2) == 0
            assert JobWorker(kentra, [tenant]).run_one(threading.Event())  # no lease to wait for
            done = kentra.jobs.get(job)
            assert done is not None
            assert (done.status, done.attempts) == ("done", 1)
            assert done.summary is not None
            assert done.summary["summary"]["recorded"] == 2
            assert registered(kentra, tenant, date(1976, 1, 1), 2) == 2
    finally:
        kentra.close()


def test_a_clear_file_left_by_a_killed_process_is_removed_and_a_live_ones_is_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, master_key=SecretStr(TEST_MASTER_KEY))
    with scratch(settings) as live:
        (live / "people.csv").write_text("in use", encoding="utf-8")
        dead = tmp_path / "imports" / "job-dead"
        dead.mkdir()
        (dead / ".lock").touch()  # its process died: nobody holds the lock
        (dead / "people.csv").write_text("left behind", encoding="utf-8")
        with scratch(settings) as other:
            assert other != live
            assert not dead.exists()
            assert (live / "people.csv").exists()
    assert not live.exists()
