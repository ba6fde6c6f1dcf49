"""Import over the API: a coordinator uploads a file; a job imports it; its status and report are fetched.

A job is a row in the platform database with its upload and report sealed beside it (``infra.jobs``),
so every API replica answers for every job, and any worker (``kentra jobs run``, or the thread of
``kentra serve``) runs it (``gateways.import_jobs``). The upload is deleted once the job ends; the
job and its report after ``import_report_retention_hours``.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from domain.errors import EntryNotFoundError, InvalidValueError
from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.schemas import ImportJob, problem_responses
from gateways.import_jobs import scratch, status_of, upload_name
from gateways.importing import Limits, check_file
from infra.bootstrap import Kentra
from infra.jobs import Job
from services.access import may_manage_personal_data
from services.casework import Casework
from services.importing import LAYOUTS

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


def _submit(kentra: Kentra, tenant: str, asked_by: str, params: dict[str, Any], upload: FilePath) -> Job:
    kentra.jobs.expire(kentra.settings.import_report_retention_hours)
    key = kentra.keys(kentra.registry.tenant(tenant)).job_file_key()
    return kentra.jobs.submit(
        job_id=uuid4().hex, kind="import", tenant=tenant, asked_by=asked_by, params=params, upload=upload, key=key
    )


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
    name = upload_name(file.filename)
    if not name.lower().endswith((".csv", ".xlsx")):
        raise InvalidValueError("only .csv and .xlsx files are imported", field="file")
    limits = Limits.of(kentra.settings)
    with scratch(kentra.settings) as folder:  # gone once sealed into the database
        path = folder / name
        with path.open("wb") as handle:
            while chunk := await file.read(CHUNK):
                handle.write(chunk)
        # A file over a limit (a zip bomb, endless rows) is refused here, before a job exists.
        await run_in_threadpool(check_file, path, limits)
        params = {"file": name, "kind": kind, "dry_run": dry_run}
        job = await run_in_threadpool(_submit, kentra, tenant, user.username, params, path)
    worker = getattr(request.app.state, "job_worker", None)
    if worker is not None:
        worker.wake.set()  # this process's worker takes it at once (any other may take it first)
    answer = {**status_of(job), "kind": kind, "status_url": f"/api/v1/tenants/{tenant}/imports/{job.id}"}
    return ImportJob.model_validate(answer)


JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="As the upload answered")]


def _job(kentra: Kentra, tenant: str, job_id: str) -> Job:
    kentra.jobs.expire(kentra.settings.import_report_retention_hours)
    job = kentra.jobs.get(job_id)
    if job is None or job.tenant != tenant or job.kind != "import":  # another tenant's job is not there
        raise EntryNotFoundError(UUID(hex=job_id), "import")
    return job


@router.get("/{job_id}", summary="An import's status and counts", response_model_exclude_unset=True)
def get_import(kentra: KentraDep, casework: Coordinator, tenant: str, job_id: JobId) -> ImportJob:
    return ImportJob.model_validate(status_of(_job(kentra, tenant, job_id)))


@router.get(
    "/{job_id}/report",
    summary="The rejected rows: line, field, reason in Greek and English (CSV), once the job ended",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def get_import_report(kentra: KentraDep, casework: Coordinator, tenant: str, job_id: JobId) -> Response:
    job = _job(kentra, tenant, job_id)
    if not kentra.jobs.has_file(job.id, "report"):
        raise EntryNotFoundError(UUID(hex=job_id), "import report")
    key = kentra.keys(kentra.registry.tenant(tenant)).job_file_key()
    return Response(
        b"".join(kentra.jobs.open_file(job.id, "report", key)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-report-{job_id}.csv"'},
    )
