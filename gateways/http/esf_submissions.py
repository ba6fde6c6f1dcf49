"""ESF submissions over the API: submitting a delivery, the list, and each one's restatement
(services.esf_submissions, services.esf_restatement).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from gateways.http.deps import CommandIdDep, CurrentUser, KentraDep
from gateways.http.schemas import problem_responses
from services import esf_submissions as submissions
from services.access import may_deliver_esf, may_read_esf_submissions
from services.commands import Reference
from services.esf_restatement import restatement

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}",
    tags=["esf"],
    responses=problem_responses(400, 401, 403, 404, 409, 422, 500, 503),
)


class SubmissionFields(BaseModel):
    """A delivery to the managing authority: the operation (MIS/ΟΠΣ code or programme period), the
    period, the day it was delivered (default today, Athens) and its protocol reference."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {"operation": "5002786", "from": "2022-07-01", "to": "2022-12-31", "submitted_on": "2023-01-20"}
            ]
        },
    )

    operation: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[0-9-]+$")]
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    submitted_on: date | None = None
    reference: Reference | None = None


class SubmissionSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: UUID
    operation: str
    mis_code: str | None
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    submitted_on: str
    recorded_at: str
    recorded_by: str
    reference: str | None
    position: int


class SubmissionListed(SubmissionSummary):
    holds: bool
    cells_changed: int


class SubmissionList(BaseModel):
    tenant: str
    submissions: list[SubmissionListed]


class SubmissionRecorded(BaseModel):
    id: UUID
    command_id: str
    replayed: bool


class ChangedEvent(BaseModel):
    position: int
    entry: str
    version: int
    event: str
    recorded_at: str
    occurred_on: str | None
    reason: str | None


class ChangedCell(BaseModel):
    cell: str
    as_submitted: int
    replayed_at_submission: int
    now: int
    difference: int
    moved_in: int
    moved_out: int
    events_total: int
    events: list[ChangedEvent]


class Restatement(BaseModel):
    tenant: str
    submission: SubmissionSummary
    holds: bool
    matches_log_at_submission: bool
    replayed: dict[str, int]
    cells_compared: int
    changes: list[ChangedCell]


@router.post(
    "/esf/submissions",
    status_code=201,
    response_model=SubmissionRecorded,
    summary="Submit an operation's ESF delivery for a period: its figures pinned to the log position",
    responses={200: {"description": "A retry: the first submission", "model": SubmissionRecorded}},
)
def submit(  # noqa: PLR0917 - what the route is given
    kentra: KentraDep, user: CurrentUser, tenant: str, key: CommandIdDep, body: SubmissionFields, response: Response
) -> Any:
    kentra.registry.tenant(tenant)
    may_deliver_esf(user, tenant)  # before the log is opened: nothing is read for a refused caller
    casework = kentra.casework(tenant)
    known = {s.id for s in submissions.recorded(casework)}
    submission_id = submissions.submit_as(
        casework,
        kentra.views(tenant),
        user,
        operation=body.operation,
        start=body.start,
        end=body.end,
        submitted_on=body.submitted_on,
        reference=body.reference,
        command_id=key,
    )
    replayed = submission_id in known
    response.status_code = status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return {"id": submission_id, "command_id": key, "replayed": replayed}


@router.get(
    "/esf/submissions",
    response_model=SubmissionList,
    summary="Every ESF submission, newest first, and whether each still holds",
)
def list_submissions(kentra: KentraDep, user: CurrentUser, tenant: str) -> Any:
    kentra.registry.tenant(tenant)
    may_read_esf_submissions(user, tenant)
    casework = kentra.casework(tenant)
    return {"tenant": tenant, "submissions": submissions.listed(casework, kentra.views(tenant), user)}


@router.get(
    "/esf/submissions/{submission_id}",
    response_model=Restatement,
    summary="A submission's restatement: the cells changed since, and the events that changed them",
)
def get_restatement(kentra: KentraDep, user: CurrentUser, tenant: str, submission_id: UUID) -> Any:
    registered = kentra.registry.tenant(tenant)
    may_read_esf_submissions(user, tenant)
    casework = kentra.casework(tenant)
    return restatement(casework, submission_id, user=user, pseudonym=kentra.keys(registered).pseudonym)
