"""Import over the API: a coordinator uploads a file; a job imports it; its status and report are fetched.

Jobs live in the API process (``app.state.import_jobs``) and in ``<data dir>/imports/<job>/``. A
restart forgets a job's status, never its effect: the import is idempotent, so uploading the file
again finishes it and records nothing twice.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from domain.errors import DomainError, EntryNotFoundError, InvalidValueError
from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.schemas import ImportJob, problem_responses
from gateways.importing import Limits, Report, check_file, checksum, kind_of, rows
from infra.bootstrap import Kentra
from services.access import may_manage_personal_data
from services.casework import Casework
from services.importing import LAYOUTS, Importer

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}/imports",
    tags=["import"],
    responses=problem_responses(400, 401, 403, 404, 413, 422, 500, 503),
)
CHUNK = 1 << 20


def coordinator(tenant: str, kentra: KentraDep, user: CurrentUser) -> Casework:
    kentra.registry.tenant(tenant)
    may_manage_personal_data(user, tenant)  # an import records personal data: the coordinator's work
    return kentra.casework(tenant)


Coordinator = Annotated[Casework, Depends(coordinator)]


def _jobs(request: Request) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = request.app.state.import_jobs
    return jobs


def expire_reports(kentra: Kentra, jobs: dict[str, dict[str, Any]]) -> None:
    """Delete every job folder (its report holds what staff typed) older than the retention setting."""
    root = kentra.settings.data_dir / "imports"
    oldest = time.time() - kentra.settings.import_report_retention_hours * 3600
    for folder in root.glob("*") if root.is_dir() else ():
        if folder.is_dir() and folder.stat().st_mtime < oldest:
            shutil.rmtree(folder, ignore_errors=True)
            jobs.pop(folder.name, None)


def _run(kentra: Kentra, casework: Casework, job: dict[str, Any], path: FilePath, kind: str | None) -> None:
    limits = Limits.of(kentra.settings)
    report = Report(path.parent / "report.csv")
    report.file = job["file"]
    job.update(status="running", started_at=datetime.now(UTC).isoformat())
    try:
        layout = LAYOUTS[kind] if kind else kind_of(path, limits)
        job["kind"] = layout.kind
        importer = Importer(casework, on_problem=report.add)

        def progress(count: int) -> None:
            job["rows_done"] += count

        summary = importer.run(
            layout,
            rows(path, layout, limits),
            source=job["file"],
            checksum=checksum(path),
            dry_run=job["dry_run"],
            on_rows=progress,
        )
        job.update(status="done", summary=summary.as_dict())
    except DomainError as error:
        job.update(status="failed", error=error.message)
    except Exception as error:
        job.update(status="failed", error=f"unexpected {type(error).__name__}")
    finally:
        report.close()
        job.update(finished_at=datetime.now(UTC).isoformat(), rejected_rows_reported=report.count)
        path.unlink(missing_ok=True)  # the upload holds personal data: gone once read


@router.post(
    "",
    status_code=202,
    summary="Upload a CSV or XLSX file to import (or only check, with dry_run)",
    response_model_exclude_unset=True,
)
async def post_import(
    request: Request,
    kentra: KentraDep,
    casework: Coordinator,
    user: CurrentUser,
    tenant: str,
    file: Annotated[UploadFile, File(description="CSV or XLSX, one kind per file (layouts: docs/import.md)")],
    dry_run: Annotated[bool, Form()] = False,
    kind: Annotated[str | None, Form(description="Only if the header cannot tell")] = None,
) -> ImportJob:
    if kind is not None and kind not in LAYOUTS:
        raise InvalidValueError(f"kind is one of {', '.join(LAYOUTS)}", field="kind")
    name = re.sub(r"[^\w.\-]", "_", FilePath(file.filename or "upload").name)[:100]
    if not name.lower().endswith((".csv", ".xlsx")):
        raise InvalidValueError("only .csv and .xlsx files are imported", field="file")
    expire_reports(kentra, _jobs(request))
    job_id = uuid4().hex
    folder = kentra.settings.data_dir / "imports" / job_id
    folder.mkdir(parents=True, mode=0o700)
    path = folder / name
    with path.open("wb") as handle:
        while chunk := await file.read(CHUNK):
            handle.write(chunk)
    try:  # a file over a limit (a zip bomb, endless rows) is refused here, before a job exists
        await run_in_threadpool(check_file, path, Limits.of(kentra.settings))
    except DomainError:
        path.unlink(missing_ok=True)
        folder.rmdir()
        raise
    job = {
        "id": job_id,
        "tenant": tenant,
        "file": name,
        "kind": kind,
        "dry_run": dry_run,
        "asked_by": user.username,
        "status": "queued",
        "rows_done": 0,
    }
    _jobs(request)[job_id] = job
    threading.Thread(
        target=_run, args=(kentra, casework, job, path, kind), name=f"import-{job_id}", daemon=True
    ).start()
    return ImportJob.model_validate({**job, "status_url": f"/api/v1/tenants/{tenant}/imports/{job_id}"})


JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="As the upload answered")]


def _job(request: Request, tenant: str, job_id: str) -> dict[str, Any]:
    job = _jobs(request).get(job_id)
    if job is None or job["tenant"] != tenant:
        raise EntryNotFoundError(UUID(hex=job_id), "import")
    return job


@router.get("/{job_id}", summary="An import's status and counts", response_model_exclude_unset=True)
def get_import(request: Request, kentra: KentraDep, casework: Coordinator, tenant: str, job_id: JobId) -> ImportJob:
    expire_reports(kentra, _jobs(request))
    return ImportJob.model_validate(dict(_job(request, tenant, job_id)))


@router.get(
    "/{job_id}/report",
    summary="The rejected rows: line, field, reason in Greek and English (CSV)",
    response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def get_import_report(
    request: Request, kentra: KentraDep, casework: Coordinator, tenant: str, job_id: JobId
) -> FileResponse:
    expire_reports(kentra, _jobs(request))
    job = _job(request, tenant, job_id)
    report = kentra.settings.data_dir / "imports" / job["id"] / "report.csv"
    if not report.exists():
        raise EntryNotFoundError(UUID(hex=job_id), "import report")
    return FileResponse(report, media_type="text/csv; charset=utf-8", filename=f"import-report-{job_id}.csv")
