"""Corrections: amend or void an earlier entry, with a reason. Nothing recorded is ever changed in place."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Response

from domain.errors import InvalidValueError
from gateways.http.answers import Created, casework_router, recorded
from gateways.http.deps import CaseworkWriter, CommandIdDep, CurrentUser
from gateways.http.schemas import Recorded
from services import commands as c
from services.recording import record

router = casework_router("corrections")


@router.post(
    "/corrections", status_code=201, responses=Created, summary="Amend or void an earlier entry, with a reason"
)
def correct_entry(
    casework: CaseworkWriter,
    user: CurrentUser,
    key: CommandIdDep,
    response: Response,
    body: c.AmendFields,
    action: Annotated[Literal["amend", "void"], Query(description="void takes no changes")] = "amend",
) -> Recorded:
    if action == "amend":
        return recorded(record(casework, user, body, "amend_entry", key), response)
    if body.changes or body.personal or body.special:
        raise InvalidValueError("a void takes no changes", field="changes")
    void = c.VoidFields(
        entry_id=body.entry_id,
        reason=body.reason,
        reason_note=body.reason_note,
        structure=body.structure,
        expected_version=body.expected_version,
    )
    return recorded(record(casework, user, void, "void_entry", key), response)
