"""Case ownership: who is responsible for a person, giving the case to another worker, and the
tenant's staff to choose from (issue 20)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from fastapi import Response
from pydantic import BaseModel

from gateways.http.answers import Created, casework_router, recorded
from gateways.http.deps import CaseworkReader, CaseworkWriter, CommandIdDep, CurrentUser
from gateways.http.schemas import Recorded
from services import commands as c
from services import ownership

router = casework_router("ownership")


class StaffMemberPublic(BaseModel):
    """A caseworker or coordinator of the tenant, by full name (for a form's choice of worker)."""

    username: str
    full_name: str
    role: str
    structure: str | None
    structure_name: str | None


class AssignmentPublic(BaseModel):
    """A period of responsibility. ``recorded_by`` and ``reason`` are null where the caller is not told."""

    worker: str
    worker_name: str
    structure: str
    structure_name: str
    since: date
    recorded_by: str | None
    recorded_by_name: str | None
    recorded_at: datetime
    reason: str | None
    intake: bool


class ResponsibilityPublic(BaseModel):
    """Who is responsible for the person now, where, since when, and the assignments behind it."""

    beneficiary_id: UUID
    version: int
    worker: str
    worker_name: str
    structure: str
    structure_name: str
    since: date
    history: list[AssignmentPublic]
    active: bool


@router.post(
    "/beneficiaries/{beneficiary_id}/assignment",
    status_code=201,
    responses=Created,
    summary="Give the person's case to another worker (a transfer when the structure changes)",
)
def assign_case(  # noqa: PLR0917 - FastAPI passes what the route declares
    casework: CaseworkWriter,
    user: CurrentUser,
    beneficiary_id: UUID,
    body: c.AssignFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(ownership.assign_case(casework, user, body, beneficiary_id, key), response)


@router.get("/beneficiaries/{beneficiary_id}/assignment", summary="Who is responsible for the person")
def get_responsibility(casework: CaseworkReader, user: CurrentUser, beneficiary_id: UUID) -> ResponsibilityPublic:
    now = ownership.responsibility(casework, user, beneficiary_id, "GET /beneficiaries/{id}/assignment")
    return ResponsibilityPublic.model_validate(now, from_attributes=True)


@router.get("/staff", summary="The tenant's caseworkers and coordinators, by full name")
def list_staff(casework: CaseworkReader, user: CurrentUser) -> list[StaffMemberPublic]:
    return [StaffMemberPublic.model_validate(m, from_attributes=True) for m in ownership.staff(casework, user)]
