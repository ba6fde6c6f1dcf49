"""Durable jobs: imports (and any other long job) as rows in the platform schema, taken by workers.

Issue 22, part 3. A job is a row of ``kentra_jobs``; its files (the upload, the report) are rows of
``kentra_job_chunks``, sealed with AES-256-GCM under the tenant's job-file key, 1 MiB a chunk, each
bound to its job, file, place and count (a chunk moved, dropped or swapped does not open). Every API
replica answers for every job, and any worker takes it:

- **Taking** a job is one transaction: on PostgreSQL the oldest queued job (or a running one whose
  heartbeat is older than the lease) ``FOR UPDATE SKIP LOCKED``, so two workers never take the same
  one and neither waits for the other; on SQLite the transaction begins ``IMMEDIATE`` (it holds the
  file's write lock from its first statement), which serialises the workers of the one file.
- **Fencing.** Each take adds one to ``attempts``: a heartbeat, a progress report or the end of a job
  counts only under the (worker, attempts) that took it, so a worker paused past its lease learns it
  lost the job and stops, and its late result is not written.
- **Times** are the database's clock, so workers whose clocks disagree still agree on a lease.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

metadata = MetaData()
jobs = Table(
    "kentra_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),  # "import"
    Column("tenant", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),  # queued, running, done, failed
    Column("asked_by", String(64), nullable=False),
    Column("params", JSON, nullable=False),  # what the job needs to run (an import: file name, kind, dry run)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(200)),
    Column("progress", JSON, nullable=False),
    Column("summary", JSON),
    Column("error", Text),
)
chunks = Table(
    "kentra_job_chunks",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("name", String(16), primary_key=True),  # "upload" or "report"
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),  # nonce + AES-GCM ciphertext: never the file in clear
)
TABLES = (jobs.name, chunks.name)
CHUNK = 1 << 20
NONCE = 12
MAX_ATTEMPTS = 3  # a job that stopped its workers this often (killed, out of memory) fails instead
SQLITE_NOW = "%Y-%m-%d %H:%M:%f000"  # what SQLAlchemy writes for a DateTime on SQLite, to the microsecond


class SealedFileError(Exception):
    """A job's file does not open with the tenant's key (tampered, truncated, or another tenant's)."""


@dataclass(frozen=True)
class Job:
    """One job as stored; ``attempts`` and ``worker`` name the take that runs it now."""

    id: str
    kind: str
    tenant: str
    status: str
    asked_by: str
    params: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
    attempts: int
    worker: str | None
    progress: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] | None = None
    error: str | None = None


def create_tables(engine: Engine) -> None:
    """Create the job tables if missing (``engine`` carries the platform schema's translate map)."""
    metadata.create_all(engine, checkfirst=True)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    # SQLite keeps UTC, naive; PostgreSQL answers in the session's zone: both shown in UTC, as before.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _job(row: Any) -> Job:
    data = dict(row._mapping)
    for name in ("created_at", "started_at", "heartbeat_at", "finished_at"):
        data[name] = _aware(data[name])
    return Job(**data)


def _aad(job_id: str, name: str, seq: int, count: int) -> bytes:
    return f"kentra-job/{job_id}/{name}/{seq}/{count}".encode()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while piece := handle.read(CHUNK):
            yield piece


class Jobs:
    """The job tables of the platform database (``engine``: the platform's, with its schema map)."""

    def __init__(self, engine: Engine) -> None:
        self.sqlite = engine.dialect.name == "sqlite"
        if self.sqlite:
            # An engine of its own, whose transactions begin IMMEDIATE (SQLAlchemy's recipe): the take
            # holds the write lock from its SELECT on, so two processes never take the same job.
            self.engine = create_engine(engine.url, hide_parameters=True)
            event.listen(self.engine, "connect", _no_implicit_begin)
            event.listen(self.engine, "begin", _begin_immediate)
        else:
            self.engine = engine

    def close(self) -> None:
        """Release the SQLite engine of its own (the PostgreSQL one is the platform's)."""
        if self.sqlite:
            self.engine.dispose()

    def _now(self) -> ColumnElement[Any]:
        return func.strftime(SQLITE_NOW, "now") if self.sqlite else func.now()

    def _ago(self, seconds: float) -> ColumnElement[Any]:
        if self.sqlite:
            return func.strftime(SQLITE_NOW, "now", f"-{seconds:.3f} seconds")
        return func.now() - func.make_interval(0, 0, 0, 0, 0, 0, literal(float(seconds)))

    def submit(
        self, *, job_id: str, kind: str, tenant: str, asked_by: str, params: dict[str, Any], upload: Path, key: bytes
    ) -> Job:
        """Queue a job with its upload, sealed, in one transaction: a job is never without its file."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(jobs).values(
                    id=job_id,
                    kind=kind,
                    tenant=tenant,
                    status="queued",
                    asked_by=asked_by,
                    params=params,
                    created_at=self._now(),
                    attempts=0,
                    progress={"rows_done": 0},
                )
            )
            self._store(conn, job_id, "upload", upload, key)
        found = self.get(job_id)
        assert found is not None
        return found

    def _store(self, conn: Connection, job_id: str, name: str, path: Path, key: bytes) -> None:
        count = max(1, -(-path.stat().st_size // CHUNK))
        sealer = AESGCM(key)
        pieces = _file_chunks(path) if path.stat().st_size else iter([b""])
        for seq, piece in enumerate(pieces):
            nonce = os.urandom(NONCE)
            data = nonce + sealer.encrypt(nonce, piece, _aad(job_id, name, seq, count))
            conn.execute(insert(chunks).values(job_id=job_id, name=name, seq=seq, data=data))

    def has_file(self, job_id: str, name: str) -> bool:
        """Whether the job has this file (a report exists once the job ended)."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(chunks.c.seq).where(chunks.c.job_id == job_id, chunks.c.name == name).limit(1)
            ).first()
        return found is not None

    def open_file(self, job_id: str, name: str, key: bytes) -> Iterator[bytes]:
        """The file's bytes, chunk by chunk, each checked; SealedFileError if any does not open."""
        with self.engine.connect() as conn:
            count = conn.execute(
                select(func.count()).select_from(chunks).where(chunks.c.job_id == job_id, chunks.c.name == name)
            ).scalar_one()
        opener = AESGCM(key)
        for seq in range(count):
            with self.engine.connect() as conn:  # one chunk in memory at a time
                data = conn.execute(
                    select(chunks.c.data).where(chunks.c.job_id == job_id, chunks.c.name == name, chunks.c.seq == seq)
                ).scalar_one_or_none()
            try:
                if data is None:
                    raise InvalidTag
                yield opener.decrypt(data[:NONCE], data[NONCE:], _aad(job_id, name, seq, count))
            except InvalidTag:
                raise SealedFileError(f"the {name} of job {job_id} does not open") from None

    def get(self, job_id: str) -> Job | None:
        """The job, or None if there is none (or no more: retention deletes them)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else _job(row)

    def of_tenant(self, tenant: str, limit: int = 100) -> list[Job]:
        """The tenant's jobs, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(jobs).where(jobs.c.tenant == tenant).order_by(jobs.c.created_at.desc()).limit(limit)
            )
            return [_job(row) for row in rows]

    def take(self, worker: str, tenants: list[str], lease_seconds: float) -> Job | None:
        """Take the oldest job of these tenants that is queued, or running under a lapsed lease."""
        if not tenants:
            return None
        lapsed = and_(jobs.c.status == "running", jobs.c.heartbeat_at < self._ago(lease_seconds))
        with self.engine.begin() as conn:
            # A job that stopped its workers MAX_ATTEMPTS times would stop the next one too: it fails,
            # and its upload goes (as at any end).
            spent = select(jobs.c.id).where(lapsed, jobs.c.attempts >= MAX_ATTEMPTS, jobs.c.tenant.in_(tenants))
            if ids := [row.id for row in conn.execute(spent.with_for_update(skip_locked=True))]:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id.in_(ids))
                    .values(
                        status="failed",
                        finished_at=self._now(),
                        error=f"the job stopped its worker {MAX_ATTEMPTS} times; upload the file again",
                    )
                )
                conn.execute(delete(chunks).where(chunks.c.job_id.in_(ids)))
            chosen = conn.execute(
                select(jobs.c.id, jobs.c.progress)
                .where(jobs.c.tenant.in_(tenants), or_(jobs.c.status == "queued", lapsed))
                .order_by(jobs.c.created_at, jobs.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if chosen is None:
                return None
            # Progress starts again with the job: a take-over reads the file from its first row.
            progress = {k: v for k, v in chosen.progress.items() if k in ("first_position",)} | {"rows_done": 0}
            conn.execute(
                update(jobs)
                .where(jobs.c.id == chosen.id)
                .values(
                    status="running",
                    worker=worker,
                    attempts=jobs.c.attempts + 1,
                    started_at=func.coalesce(jobs.c.started_at, self._now()),
                    heartbeat_at=self._now(),
                    progress=progress,
                )
            )
            row = conn.execute(select(jobs).where(jobs.c.id == chosen.id)).one()
        return _job(row)

    def _held(self, job: Job) -> ColumnElement[bool]:
        return and_(
            jobs.c.id == job.id,
            jobs.c.worker == job.worker,
            jobs.c.attempts == job.attempts,
            jobs.c.status == "running",
        )

    def heartbeat(self, job: Job, progress: dict[str, Any] | None = None) -> bool:
        """Renew the lease (and report progress); False if the job is no longer this take's."""
        values: dict[str, Any] = {"heartbeat_at": self._now()}
        if progress is not None:
            values["progress"] = progress
        with self.engine.begin() as conn:
            return conn.execute(update(jobs).where(self._held(job)).values(**values)).rowcount == 1

    def release(self, job: Job) -> bool:
        """Give the job back (a worker stopping): queued again at once, for the next worker. The take
        is not counted against the job (worker names are unique, so the fencing pair stays unique)."""
        given_back = {"status": "queued", "worker": None, "attempts": jobs.c.attempts - 1}
        with self.engine.begin() as conn:
            return conn.execute(update(jobs).where(self._held(job)).values(**given_back)).rowcount == 1

    def finish(
        self,
        job: Job,
        *,
        status: str,
        summary: dict[str, Any] | None,
        error: str | None,
        progress: dict[str, Any],
        report: Path | None,
        key: bytes,
    ) -> bool:
        """End the job with its report, and delete its upload; False (nothing written) if it was lost."""
        with self.engine.begin() as conn:
            ended = conn.execute(
                update(jobs)
                .where(self._held(job))
                .values(
                    status=status,
                    summary=summary,
                    error=error,
                    progress=progress,
                    finished_at=self._now(),
                    heartbeat_at=self._now(),
                )
            )
            if ended.rowcount != 1:
                return False  # nothing was written: another worker holds the job now
            conn.execute(delete(chunks).where(chunks.c.job_id == job.id))  # the upload: gone once read
            if report is not None:
                self._store(conn, job.id, "report", report, key)
        return True

    def expire(self, retention_hours: float) -> int:
        """Delete the jobs (and their files) finished, or queued, longer ago than the retention."""
        cutoff = self._ago(retention_hours * 3600)
        old = or_(jobs.c.finished_at < cutoff, and_(jobs.c.status == "queued", jobs.c.created_at < cutoff))
        with self.engine.begin() as conn:
            ids = [row.id for row in conn.execute(select(jobs.c.id).where(old))]
            if ids:
                conn.execute(delete(chunks).where(chunks.c.job_id.in_(ids)))
                conn.execute(delete(jobs).where(jobs.c.id.in_(ids)))
        return len(ids)


def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # pysqlite's own BEGIN (deferred) is replaced by ours


def _begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")
