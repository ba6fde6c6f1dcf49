"""A person's participation in the ESF operations, for their page (issue 21): each operation the person
entered or may still enter (programme, ΟΠΣ code, title), how and when they entered it, when they left
and their status then, and the six-month follow-up, due or done; and the steps each allows the caller.

Who may read it is the person page's rule (``services.timeline.entry_of``); the steps are offered to
those who may record for the person (``services.access``), never on an erased or voided person. The
domain still checks every step when it is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from uuid import UUID

from domain.beneficiaries import Beneficiary
from domain.esf import SITUATION_FIELDS, follow_up_due
from domain.tenants import Programme
from projections import participation_queries as q
from projections.runner import CaseworkViews
from services.access import AccessDeniedError, Principal, confined_structure, may_record_casework
from services.casework import Casework
from services.timeline import about_erased, entry_of

LEAVING = ("job_searching", "in_education_or_training", "qualification_gained", "employed")
LONG_TERM = ("employed_after_six_months", "improved_after_six_months")
# The steps of one operation, in the order the page offers them.
STEPS = ("entry", "exit", "follow-up", "correct-entry", "correct-exit", "correct-follow-up")


@dataclass(frozen=True)
class OperationRecord:
    """One operation on a person's page. ``entry``: "intake" (entered at the intake), "return" (a later
    entry, ``automatic`` when the platform recorded it at the first contact) or None (not entered)."""

    operation: str  # the programme period, the operation's key in commands
    programme: str
    code: str | None
    title: str
    entry: str | None
    entered_on: date | None
    automatic: bool
    left_on: date | None
    leaving: dict[str, bool] | None
    follow_up_due: date | None
    followed_up_on: date | None
    long_term: dict[str, bool] | None
    entry_data: dict[str, Any] | None  # a later entry's profile and answers (a correction starts from them)
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Participation:
    """A person's operations, their situation now and whether the caller may change it."""

    beneficiary_id: UUID
    version: int
    records: tuple[OperationRecord, ...]
    situation: dict[str, Any] = field(default_factory=dict)
    may_change_situation: bool = False

    def record(self, operation: str) -> OperationRecord | None:
        """The record of one operation, by its key."""
        return next((r for r in self.records if r.operation == operation), None)


def _may_record(casework: Casework, user: Principal, person: Beneficiary) -> bool:
    if person.voided or about_erased(casework, person):
        return False
    try:
        may_record_casework(user, casework.tenant.id, person.structure)
    except AccessDeniedError:
        return False
    return True


def _listed(programme: Programme, intake_on: date) -> bool:
    """An operation the person may have taken part in: one that did not end before their intake."""
    return programme.operations_to is None or programme.operations_to >= intake_on


def _steps(record: OperationRecord, intake: Programme | None, programme: Programme, today: date) -> tuple[str, ...]:
    started = programme.operations_from is None or programme.operations_from <= today
    offered = {
        "entry": record.entry is None and started and programme is not intake,
        "exit": record.entry is not None and record.left_on is None,
        "follow-up": record.follow_up_due is not None
        and record.followed_up_on is None
        and record.follow_up_due <= today,
        "correct-entry": record.entry == "return",
        "correct-exit": record.left_on is not None,
        "correct-follow-up": record.followed_up_on is not None,
    }
    return tuple(step for step in STEPS if offered[step])


def participation_of(casework: Casework, views: CaseworkViews, user: Principal, beneficiary_id: UUID) -> Participation:
    """The person's operations for their page; EntryNotFoundError for a person the caller may not see."""
    person = entry_of(casework, user, beneficiary_id, "beneficiary")
    if not isinstance(person, Beneficiary):  # entry_of gives the kind asked for
        raise TypeError(person)
    views.catch_up()  # read your own writes: a step just recorded is listed
    found = views.read(q.participation, beneficiary_id=beneficiary_id, structure=confined_structure(user, None))
    tenant, today = casework.tenant, casework.today()
    intake_on: date = found["intake_on"] or person.occurred_on
    intake = tenant.operation_on(intake_on)
    recording = _may_record(casework, user, person)
    records = []
    for programme in tenant.programmes:
        if not _listed(programme, intake_on):
            continue
        key = programme.period
        later, left = found["entries"].get(key), found["exits"].get(key)
        is_intake = intake is not None and key == intake.period
        record = OperationRecord(
            operation=key,
            programme=programme.name_el,
            code=programme.code,
            title=tenant.operation_title(programme),
            entry="intake" if is_intake else "return" if later else None,
            entered_on=intake_on if is_intake else later["entered_on"] if later else None,
            automatic=bool(later and later["automatic"]),
            left_on=left["left_on"] if left else None,
            leaving={k: bool(left[k]) for k in LEAVING} if left else None,
            follow_up_due=(left["follow_up_due"] or follow_up_due(left["left_on"])) if left else None,
            followed_up_on=left["followed_up_on"] if left else None,
            long_term={k: bool(left[k]) for k in LONG_TERM} if left and left["followed_up_on"] else None,
            entry_data=dict(later) if later and not is_intake else None,
        )
        steps = _steps(record, intake, programme, today) if recording else ()
        records.append(replace(record, steps=steps))
    return Participation(
        beneficiary_id=person.id,
        version=person.version,
        records=tuple(records),
        situation={k: person.situation.get(k) for k in SITUATION_FIELDS},
        may_change_situation=recording,
    )
