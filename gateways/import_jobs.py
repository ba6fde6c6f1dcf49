"""Import jobs: queued by the API, run by any worker (`kentra jobs run`, or the thread of `kentra serve`).

The job and its files live in the platform database (``infra.jobs``), so every replica answers for
it. A worker takes a job, unseals the upload into a private temporary folder, imports it with the
same ``Importer`` the CLI uses, and ends the job with its sealed report. A worker killed mid-import
leaves the job to the next one after the lease: the import is idempotent (a row's command id is
derived from its kind and ref), so reading the file again from its first row records nothing twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from domain.errors import DomainError
from gateways.importing import Limits, Report, checksum, kind_of, rows
from infra.jobs import SealedFileError
from services.importing import BATCH, LAYOUTS, Importer

if TYPE_CHECKING:
    from infra.bootstrap import Kentra
    from infra.jobs import Job
    from infra.settings import Settings

log = logging.getLogger("kentra.jobs")
IDLE_SECONDS = 1.0
TENANTS_SECONDS = 60.0
ORPHAN_SECONDS = 60.0
Beat = Callable[[], None]


class JobLostError(Exception):
    """Another worker holds the job now (this one was paused past its lease): stop, write nothing."""


class JobStoppedError(Exception):
    """The worker is stopping (SIGTERM): the job goes back to the queue for the next worker."""


def worker_name() -> str:
    """Who runs a job, as the job row shows it: host, process, and a token of this worker."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"


@contextmanager
def scratch(settings: Settings) -> Iterator[Path]:
    """A private folder (0700, under ``<data dir>/imports``) for a file in clear while it is read.

    Removed after the block; a process killed inside it (SIGKILL, out of memory) cannot remove it,
    so each new one first removes the folders whose lock no live process holds any more (a lock
    held with ``flock`` ends with its process): a clear upload does not outlive its worker long.
    """
    root = settings.data_dir / "imports"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    _sweep(root)
    folder = Path(tempfile.mkdtemp(prefix="job-", dir=root))
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _sweep(root: Path) -> None:
    for folder in root.glob("job-*"):
        try:
            with (folder / ".lock").open("r") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # taken: nobody alive holds it
                shutil.rmtree(folder, ignore_errors=True)
        except BlockingIOError:
            continue  # a live process's folder
        except FileNotFoundError:  # no lock yet: being made this moment, unless it is old
            if folder.exists() and time.time() - folder.stat().st_mtime > ORPHAN_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)


def upload_name(given: str | None) -> str:
    """The name an upload is kept under: its last part, letters, digits, ``.``, ``-`` and ``_`` only."""
    return re.sub(r"[^\w.\-]", "_", Path(given or "upload").name)[:100]


def _valid_name(given: object) -> bool:
    """A job row's file name is one the API gave (a row written by other hands may name any path)."""
    return (
        isinstance(given, str)
        and given == upload_name(given)
        and given not in (".", "..")
        and given.lower().endswith((".csv", ".xlsx"))
    )


def status_of(job: Job) -> dict[str, Any]:
    """The job as the API answers it (``gateways.http.schemas.ImportJob``): only the fields it has."""
    result = job.summary or {}
    answer: dict[str, Any] = {
        "id": job.id,
        "tenant": job.tenant,
        "file": job.params.get("file"),
        "kind": result.get("kind") or job.progress.get("kind") or job.params.get("kind"),
        "dry_run": job.params.get("dry_run"),
        "asked_by": job.asked_by,
        "status": job.status,
        "rows_done": job.progress.get("rows_done", 0),
        "rows_total": job.progress.get("rows_total"),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "summary": result.get("summary"),
        "error": job.error,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "rejected_rows_reported": result.get("rejected_rows_reported"),
    }
    return {name: value for name, value in answer.items() if value is not None}


class _Run:
    """One take of a job: its progress, renewed on every batch and by a heartbeat thread between them."""

    def __init__(self, kentra: Kentra, job: Job, stopping: threading.Event, beat: Beat | None) -> None:
        self.kentra, self.job, self.stopping = kentra, job, stopping
        self.alive: Beat = beat or (lambda: None)  # the worker's liveness: the import moves on
        self.progress: dict[str, Any] = dict(job.progress)
        self.lost = threading.Event()
        self.done = threading.Event()
        self.beating = threading.Thread(target=self._beat, name=f"job-heartbeat-{job.id}", daemon=True)

    def _beat(self) -> None:
        every = self.kentra.settings.job_lease_seconds / 3
        while not self.done.wait(every):
            try:
                if not self.kentra.jobs.heartbeat(self.job):
                    self.lost.set()
                    return
            except Exception as error:  # the database away for a moment: the next beat may reach it
                log.warning("job %s: heartbeat failed (%s)", self.job.id, type(error).__name__)

    def report(self, **changes: Any) -> None:
        """Record progress under this take; stop the import if the job was lost or the worker stops."""
        self.progress.update(changes)
        if self.lost.is_set() or not self.kentra.jobs.heartbeat(self.job, self.progress):
            raise JobLostError(self.job.id)
        self.alive()
        if self.stopping.is_set():
            raise JobStoppedError(self.job.id)

    def advance(self, count: int) -> None:
        self.report(rows_done=self.progress.get("rows_done", 0) + count)


def _count(run: _Run, found: Iterator[Any]) -> int:
    total = 0
    for total, _ in enumerate(found, start=1):
        if total % BATCH == 0:
            run.alive()  # counting a big workbook's rows takes a while too
    return total


def run_import(kentra: Kentra, job: Job, stopping: threading.Event, beat: Beat | None = None) -> None:
    """Run one import job that this worker took, to its end (or until it is lost or given back).

    ``beat`` is called at every batch: the worker's liveness says the import moves, not only that
    the lease is renewed (a heartbeat thread renews it between batches, however long one takes)."""
    tenant = kentra.registry.tenant(job.tenant)
    key = kentra.keys(tenant).job_file_key()
    if not _valid_name(job.params.get("file")):  # never a path: the clear upload stays in its folder
        log.error("job %s: its file name is not one an upload gives; not run", job.id)
        refused = "the job's file name is not valid; upload the file again"
        kentra.jobs.finish(
            job, status="failed", summary=None, error=refused, progress=job.progress, report=None, key=key
        )
        return
    run = _Run(kentra, job, stopping, beat)
    status, summary, error = "failed", None, None
    with scratch(kentra.settings) as folder:
        (folder / "upload").mkdir()  # apart from the report, whatever the file's name ("report.csv")
        path = folder / "upload" / job.params["file"]
        report = Report(folder / "report.csv")
        report.file = job.params["file"]
        run.beating.start()  # here, so that its end (finally, below) is sure
        try:  # the unsealing too: a failure there ends the job (and its heartbeat) like any other
            with path.open("wb") as handle:
                for piece in kentra.jobs.open_file(job.id, "upload", key):
                    handle.write(piece)
            casework = kentra.casework(tenant.id)
            limits = Limits.of(kentra.settings)
            layout = LAYOUTS[job.params["kind"]] if job.params.get("kind") else kind_of(path, limits)
            first = run.progress.get("first_position") or (casework.recorder.max_notification_id() or 0) + 1
            run.report(kind=layout.kind, rows_total=_count(run, rows(path, layout, limits)), first_position=first)
            result = Importer(casework, on_problem=report.add).run(
                layout,
                rows(path, layout, limits),
                source=job.params["file"],
                checksum=checksum(path),
                dry_run=bool(job.params.get("dry_run")),
                on_rows=run.advance,
                first_position=first,
            )
            status, summary = "done", {"kind": layout.kind, "summary": result.as_dict()}
        except JobLostError:
            log.warning("job %s: taken by another worker; this one stops", job.id)
            return
        except JobStoppedError:
            kentra.jobs.release(job)
            log.info("job %s: given back to the queue (the worker stops)", job.id)
            return
        except SealedFileError:
            error = "the uploaded file does not open (damaged or altered in the database); upload it again"
            log.error("job %s: its upload does not open", job.id)
        except DomainError as failure:
            error = failure.message
        except Exception as failure:  # what failed is logged by its type only: a message may quote a row
            error = f"unexpected {type(failure).__name__}"
            log.error("job %s failed: %s", job.id, type(failure).__name__)
        finally:
            report.close()
            run.done.set()
        ended = {**(summary or {}), "rejected_rows_reported": report.count}
        if not kentra.jobs.finish(
            job,
            status=status,
            summary=ended,
            error=error,
            progress=run.progress,
            report=report.path,
            key=key,
        ):
            log.warning("job %s: taken by another worker before it ended; its result is not written", job.id)


class JobWorker:
    """Takes jobs of ``tenants`` (every provisioned tenant if None) and runs them until ``stopping``."""

    def __init__(
        self, kentra: Kentra, tenants: list[str] | None = None, name: str | None = None, beat: Beat | None = None
    ) -> None:
        self.kentra = kentra
        self.tenants = tenants
        self.name = name or worker_name()
        self.beat = beat
        self.wake = threading.Event()  # set by an upload in this process: no waiting for the next poll
        self._served: tuple[float, list[str]] = (0.0, [])

    def _tenants(self) -> list[str]:
        """The provisioned tenants served, looked up again each minute (not at every poll)."""
        when, served = self._served
        if not served or time.monotonic() - when > TENANTS_SECONDS:
            ids = self.tenants or [t.id for t in self.kentra.registry.tenants]
            self._served = (time.monotonic(), [tid for tid in ids if self.kentra.is_provisioned(tid)])
        return self._served[1]

    def run_one(self, stopping: threading.Event) -> bool:
        """Take and run one job; False if none was waiting."""
        job = self.kentra.jobs.take(self.name, self._tenants(), self.kentra.settings.job_lease_seconds)
        if job is None:
            return False
        log.info("job %s (%s of %s) taken, attempt %d", job.id, job.kind, job.tenant, job.attempts)
        if job.kind != "import":  # a row no upload made (forged, or of a later version): never run as one
            log.error("job %s: kind %r is not one this worker runs; not run", job.id, job.kind)
            key = self.kentra.keys(self.kentra.registry.tenant(job.tenant)).job_file_key()
            self.kentra.jobs.finish(
                job,
                status="failed",
                summary=None,
                error="this worker does not run jobs of that kind",
                progress=job.progress,
                report=None,
                key=key,
            )
            return True
        run_import(self.kentra, job, stopping, self.beat)
        return True

    def run(self, stopping: threading.Event) -> None:
        """Run jobs until ``stopping`` is set; old jobs are deleted as retention says, between them."""
        while not stopping.is_set():
            took = False
            try:
                self.kentra.jobs.expire(self.kentra.settings.import_report_retention_hours)
                took = self.run_one(stopping)
            except Exception as error:  # a store away for a moment: try again next round
                log.warning("jobs not taken (%s); retrying", type(error).__name__)
            if self.beat is not None:
                self.beat()
            if not took:
                self.wake.wait(IDLE_SECONDS)
                self.wake.clear()

    def start(self, stopping: threading.Event) -> threading.Thread:
        """Run in a daemon thread (``kentra serve``)."""
        thread = threading.Thread(target=self.run, args=(stopping,), name="kentra-job-worker", daemon=True)
        thread.start()
        return thread


@contextmanager
def jobs_beside(kentra: Kentra) -> Iterator[JobWorker | None]:
    """A job worker in a thread while the block runs (``kentra serve``), unless ``serve_runs_jobs`` is off."""
    if not kentra.settings.serve_runs_jobs:
        yield None
        return
    stopping = threading.Event()
    worker = JobWorker(kentra)
    thread = worker.start(stopping)
    try:
        yield worker
    finally:
        stopping.set()
        worker.wake.set()
        thread.join(timeout=30)
