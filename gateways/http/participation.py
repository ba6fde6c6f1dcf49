"""ESF participation steps over the API: entering a later operation, a change of situation, leaving,
the six-month follow-up, corrections (services.casework_esf).

Each is a step on a person, recorded through ``services.recording.record`` like every other: a
person of a structure the caller may not see is "not found", a structure she may not record for is
refused, and the Idempotency-Key makes a retry answer the first response.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import Response

from gateways.http.answers import Created, casework_router, recorded
from gateways.http.corrections import CorrectionRecorded, warned
from gateways.http.deps import CaseworkWriter, CommandIdDep, CurrentUser
from gateways.http.schemas import Recorded
from services import commands as c
from services.recording import record

router = casework_router("esf")
PERSON = "/beneficiaries/{beneficiary_id}"


@router.post(
    f"{PERSON}/operation-entries",
    status_code=201,
    responses=Created,
    summary="The person enters a later operation, with the data of that day (no second intake)",
)
def enter_operation(  # noqa: PLR0917 - FastAPI passes what the route declares
    casework: CaseworkWriter,
    user: CurrentUser,
    beneficiary_id: UUID,
    body: c.EnterOperationFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, "enter_operation", key, beneficiary_id=beneficiary_id), response)


@router.post(
    f"{PERSON}/situation-changes",
    status_code=201,
    responses=Created,
    summary="A change of the person's situation from a date (entry data are not rewritten)",
)
def change_situation(  # noqa: PLR0917
    casework: CaseworkWriter,
    user: CurrentUser,
    beneficiary_id: UUID,
    body: c.SituationChangeFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, "change_situation", key, beneficiary_id=beneficiary_id), response)


@router.post(
    f"{PERSON}/operation-exits",
    status_code=201,
    responses=Created,
    summary="The person leaves an operation, with their status on leaving",
)
def leave_operation(  # noqa: PLR0917
    casework: CaseworkWriter,
    user: CurrentUser,
    beneficiary_id: UUID,
    body: c.LeaveOperationFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, "leave_operation", key, beneficiary_id=beneficiary_id), response)


@router.post(
    f"{PERSON}/long-term-results",
    status_code=201,
    responses=Created,
    summary="The six-month follow-up after leaving an operation",
)
def record_long_term_result(  # noqa: PLR0917
    casework: CaseworkWriter,
    user: CurrentUser,
    beneficiary_id: UUID,
    body: c.LongTermResultFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(
        record(casework, user, body, "record_long_term_result", key, beneficiary_id=beneficiary_id), response
    )


@router.post(
    f"{PERSON}/operation-corrections",
    status_code=201,
    responses=Created,
    response_model=CorrectionRecorded,
    summary="Correct an error in a later entry, an exit or a follow-up, with a reason; warnings if restated",
)
def correct_operation_record(  # noqa: PLR0917
    casework: CaseworkWriter,
    user: CurrentUser,
    beneficiary_id: UUID,
    body: c.OperationCorrectionFields,
    key: CommandIdDep,
    response: Response,
) -> CorrectionRecorded:
    answer = recorded(
        record(casework, user, body, "correct_operation_record", key, beneficiary_id=beneficiary_id), response
    )
    return warned(casework, answer, body, beneficiary_id)  # the ESF submissions it restates, if any
