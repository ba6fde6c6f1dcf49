"""Case ownership: who answers for a person, and giving the case to another worker (issue 20).

The handler of ``AssignCase`` (listed in ``services.casework.HANDLERS``). Who may give a case is
asked of ``services.access.may_assign_case`` by the use case (services/ownership.py), which knows the
caller; whom it may be given to is checked here, against the tenant's staff directory, so that a
command from any gateway (an import, the CLI) gives cases to active staff of the tenant only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.beneficiaries import Beneficiary
from domain.errors import EntryNotFoundError, InvalidValueError
from services import commands as c
from services.access import may_assign_case, may_receive_case, sees_structure
from services.casework_commands import expect, sealer, structure_of

if TYPE_CHECKING:
    from services.casework import Casework, UnitOfWork


NOT_STAFF = "not an active caseworker or coordinator of this municipality"


def assign_case(app: Casework, work: UnitOfWork, cmd: c.AssignCase) -> Beneficiary:
    """Give the person's case to ``cmd.worker``: into the worker's structure (a caseworker's), or for
    a coordinator the one named, else the person's current one. The reason is sealed under the
    person's key.

    The use case checked the caller's right on the person as it was then; it is asked again here, on
    the person as loaded for this very change, for a recorder of the directory (a case given to
    someone else meanwhile is no longer hers to give). One answer for a worker unknown, disabled or of
    another tenant: which of them it is would say something about other people."""
    person = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    person.ensure_active()
    expect(work, person, cmd.expected_version)
    members = {member.username: member for member in app.staff.staff(app.tenant.id)}
    recorder = members.get(cmd.recorded_by)
    if recorder is not None:
        if not sees_structure(recorder, person.structure):
            raise EntryNotFoundError(person.id)
        may_assign_case(recorder, app.tenant.id, person.responsible)
    worker = members.get(cmd.worker)
    if worker is None:
        raise InvalidValueError(NOT_STAFF, field="worker")
    structure = structure_of(app, cmd.structure, worker.structure or person.structure)
    may_receive_case(worker, app.tenant.id, structure)
    person.assign(
        worker=worker.username,
        structure=structure,
        sealed_reason=sealer(app, {"reason": cmd.reason})(person.id),
        occurred_on=cmd.occurred_on,
        today=app.today(),
        recorded_by=cmd.recorded_by,
    )
    return person
