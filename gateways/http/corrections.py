"""Corrections: amend or void an earlier entry, with a reason. Nothing recorded is ever changed in place."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import Query, Response
from pydantic import BaseModel, Field

from domain.errors import InvalidValueError
from gateways.http.answers import Created, casework_router, recorded
from gateways.http.deps import CaseworkWriter, CommandIdDep, CurrentUser
from gateways.http.schemas import Recorded
from services import commands as c
from services.casework import Casework
from services.esf_submissions import correction_warnings, warning
from services.recording import record

router = casework_router("corrections")


class SubmittedPeriodWarning(BaseModel):
    """The correction touches a period already submitted to the managing authority (issue 21)."""

    code: str
    submission_id: UUID
    operation: str
    mis_code: str | None
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    message: str


class CorrectionRecorded(Recorded):
    """What a correction recorded, and the ESF submissions it restates (empty: none)."""

    warnings: list[SubmittedPeriodWarning] = Field(default_factory=list)


def warned(
    casework: Casework, answer: Recorded, payload: c.Payload, beneficiary_id: UUID | None = None
) -> CorrectionRecorded:
    """A correction's answer with the ESF submissions whose period it touches (dates only, no replay)."""
    found = [warning(s) for s in correction_warnings(casework, payload, beneficiary_id)]
    return CorrectionRecorded(**answer.model_dump(), warnings=[SubmittedPeriodWarning.model_validate(w) for w in found])


@router.post(
    "/corrections",
    status_code=201,
    responses=Created,
    response_model=CorrectionRecorded,
    response_model_by_alias=True,
    summary="Amend or void an earlier entry, with a reason; ``warnings`` name the ESF submissions it restates",
)
def correct_entry(
    casework: CaseworkWriter,
    user: CurrentUser,
    key: CommandIdDep,
    response: Response,
    body: c.AmendFields,
    action: Annotated[Literal["amend", "void"], Query(description="void takes no changes")] = "amend",
) -> CorrectionRecorded:
    if action == "amend":
        return warned(casework, recorded(record(casework, user, body, "amend_entry", key), response), body)
    if body.changes or body.personal or body.special:
        raise InvalidValueError("a void takes no changes", field="changes")
    void = c.VoidFields(
        entry_id=body.entry_id,
        reason=body.reason,
        reason_note=body.reason_note,
        structure=body.structure,
        expected_version=body.expected_version,
    )
    return warned(casework, recorded(record(casework, user, void, "void_entry", key), response), void)
