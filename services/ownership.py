"""Case ownership use cases: who is responsible for a person, giving the case to another worker,
and the tenant's staff to choose from (issue 20).

Who may do what is asked of ``services.access``; a person of a structure the caller may not see is
"not found", the same answer as an unknown id, whatever she tried to do with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.beneficiaries import Beneficiary
from domain.errors import EntryNotFoundError
from services import commands as c
from services.access import (
    AccessDeniedError,
    Principal,
    history_for,
    may_assign_case,
    may_list_staff,
    sees_person,
)
from services.casework import Casework, Outcome
from services.people import visible_entry


@dataclass(frozen=True)
class StaffMember:
    """A caseworker or coordinator of the tenant, as the forms list them."""

    username: str
    full_name: str
    role: str
    structure: str | None
    structure_name: str | None


@dataclass(frozen=True)
class Assignment:
    """One period of responsibility: from the intake, or from a case given. ``recorded_by`` and
    ``reason`` are None where the caller may not be told them (see ``responsibility``)."""

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


@dataclass(frozen=True)
class Responsibility:
    """Who answers for a person now, in which structure, since when, and how it came to be so."""

    beneficiary_id: UUID
    version: int
    worker: str
    worker_name: str
    structure: str
    structure_name: str
    since: date
    history: list[Assignment]
    active: bool  # not erased nor voided: the case may still be given


def staff(casework: Casework, user: Principal) -> list[StaffMember]:
    """The tenant's active caseworkers and coordinators by full name: its own staff and auditors only."""
    may_list_staff(user, casework.tenant.id)
    names = {s.id: s.name_el for s in casework.tenant.structures}
    return [
        StaffMember(
            username=p.username,
            full_name=p.display_name,
            role=p.role.value,
            structure=p.structure,
            structure_name=names.get(p.structure) if p.structure else None,
        )
        for p in casework.staff.staff(casework.tenant.id)
    ]


def _person(casework: Casework, user: Principal, beneficiary_id: UUID) -> Beneficiary:
    """The person if the caller sees them; "not found" otherwise, as for an unknown id or a voided one."""
    entry = visible_entry(casework, user, beneficiary_id)
    if not isinstance(entry, Beneficiary) or entry.voided:
        raise EntryNotFoundError(beneficiary_id)  # the very answer to an id unknown or unseen
    return entry


def assign_case(
    casework: Casework, user: Principal, payload: c.AssignFields, beneficiary_id: UUID, key: str
) -> Outcome:
    """Give the person's case to another worker, if the caller may (``may_assign_case``). A retry of a
    command that took effect is answered from its record before any check: the case it handed over is
    no longer the caller's, and may be in a structure she no longer sees."""
    command = c.AssignCase(
        **payload.model_dump(), beneficiary_id=beneficiary_id, command_id=key, recorded_by=user.username
    )
    earlier = casework.already_recorded(command)
    if earlier is not None:
        return earlier
    person = _person(casework, user, beneficiary_id)
    may_assign_case(user, casework.tenant.id, person.responsible)
    return casework.execute(command)


def responsibility(
    casework: Casework, user: Principal, beneficiary_id: UUID, endpoint: str = "responsibility"
) -> Responsibility:
    """Who is responsible for the person, and the assignments behind it, oldest first.

    A caseworker is shown only the periods in her own structure; of a case that came to it from a
    structure she may not see, the reason but not who gave it (``services.access.history_for``).
    Reasons are personal data: opened only for those who see the person, and that look is recorded
    in the tenant's log under ``endpoint`` (the page or route that asked)."""
    person = _person(casework, user, beneficiary_id)
    tenant = casework.tenant
    structures = {s.id: s.name_el for s in tenant.structures}
    names = {p.username: p.display_name for p in casework.staff.staff(tenant.id)}
    reveal = sees_person(user, tenant.id, person.structure)
    history: list[Assignment] = []
    opened_any = False
    for row in history_for(user, casework.history(beneficiary_id, reveal=reveal)):
        event, attributes = row["event"], row["attributes"]
        if event not in ("Beneficiary.Registered", "Beneficiary.CaseAssigned"):
            continue
        intake = event == "Beneficiary.Registered"
        worker = str(attributes["recorded_by" if intake else "worker"])
        where = str(attributes["structure"])
        sealed = attributes.get("sealed_reason")
        reason = sealed.get("reason") if isinstance(sealed, dict) else None
        opened_any = opened_any or reason is not None
        recorder = attributes.get("recorded_by")
        history.append(
            Assignment(
                worker=worker,
                worker_name=names.get(worker, worker),
                structure=where,
                structure_name=structures.get(where, where),
                since=date.fromisoformat(str(attributes["occurred_on"])),
                recorded_by=recorder,
                recorded_by_name=names.get(recorder, recorder) if recorder else None,
                recorded_at=datetime.fromisoformat(row["recorded_at"]),
                reason=reason,
                intake=intake,
            )
        )
    if opened_any:
        casework.record_access(beneficiary_id, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
    return Responsibility(
        beneficiary_id=beneficiary_id,
        version=person.version,
        worker=person.responsible,
        worker_name=names.get(person.responsible, person.responsible),
        structure=person.structure,
        structure_name=structures.get(person.structure, person.structure),
        since=person.responsible_since,
        history=history,
        active=not person.erased,
    )


def may_give(casework: Casework, user: Principal, responsibility: Responsibility) -> bool:
    """Whether the page offers this caller the form (``may_assign_case``, asked, not decided here)."""
    try:
        may_assign_case(user, casework.tenant.id, responsibility.worker)
    except AccessDeniedError:
        return False
    return responsibility.active
