"""Case ownership: who answers for a person, and giving the case to another worker (issue 20).

The handler of ``AssignCase`` (listed in ``services.casework.HANDLERS``). Who may give a case is
asked of ``services.access.may_assign_case`` by the use case (services/ownership.py), which knows the
caller; whom it may be given to is checked here, against the tenant's staff directory, so that a
command from any gateway (an import, the CLI) gives cases to active staff of the tenant only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.beneficiaries import Beneficiary
from domain.errors import InvalidValueError
from services import commands as c
from services.access import Principal, may_receive_case
from services.casework_commands import expect, sealer, structure_of

if TYPE_CHECKING:
    from services.casework import Casework, UnitOfWork


def staff_member(app: Casework, username: str) -> Principal:
    """The active caseworker or coordinator of the tenant with this user name. One answer for a name
    unknown, disabled or of another tenant: which of them it is says something about other people."""
    for member in app.staff.staff(app.tenant.id):
        if member.username == username:
            return member
    raise InvalidValueError("not an active caseworker or coordinator of this municipality", field="worker")


def assign_case(app: Casework, work: UnitOfWork, cmd: c.AssignCase) -> Beneficiary:
    """Give the person's case to ``cmd.worker``: into the worker's structure (a caseworker's), or for
    a coordinator the one named, else the person's current one. The reason is sealed under the
    person's key."""
    person = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    person.ensure_active()
    expect(work, person, cmd.expected_version)
    worker = staff_member(app, cmd.worker)
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
