"""The ESF participation commands: entering a later operation, a change of situation, leaving, the
six-month follow-up, and corrections of those records (domain/beneficiaries.py, domain/esf.py); and
the automatic entry at a person's first contact in an operation they have not entered.

An operation is named in events by its programme period (``Programme.period``); a command names it,
or the day it is about decides it (``Tenant.operation_on``). The intake is the entry into the
operation of the intake's day, so ``intake_operation`` is passed to every rule that asks whether a
person is in an operation.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from domain.beneficiaries import Beneficiary
from domain.entries import CaseEntry
from domain.errors import DateOrderError, InvalidValueError, OutsideOperationError, PersonalDataUnreadableError
from domain.esf import LeavingStatus, LongTermStatus
from domain.profile import ParticipantProfile, age_on
from services import casework_commands as shared  # a module, not names: it calls enter_at_contact back
from services import commands as c

if TYPE_CHECKING:
    from services.casework import Casework, UnitOfWork


# ---------------------------------------------------------------------- what the handlers share
def intake_operation(app: Casework, person: Beneficiary) -> str | None:
    """The operation the person entered at intake (that of the intake's day), or None."""
    programme = app.tenant.operation_on(person.occurred_on)
    return programme.period if programme is not None else None


def operation_of(app: Casework, key: str | None, day: date, *, within: bool) -> str:
    """The operation named (UnknownOperationError if the tenant has none such), else that of ``day``.
    ``within``: the day must belong to it (an entry or an exit happens during the operation)."""
    if key is not None:
        programme = app.tenant.operation(key)
        if within and app.tenant.operation_on(day) != programme:
            start, end = app.tenant.operation_span(programme)
            span = f"{start or '…'} – {end or '…'}"
            raise OutsideOperationError(
                f"{day} is not within operation {programme.period} ({span})", field="occurred_on"
            )
        return programme.period
    found = app.tenant.operation_on(day)
    if found is None:
        raise OutsideOperationError(f"{day} belongs to none of the tenant's operations", field="occurred_on")
    return found.period


def _opened(app: Casework, person: Beneficiary) -> dict[str, Any]:
    """The person's personal data and special-category answers, unsealed (their key must exist)."""
    opened = app.vault.unseal(person.sealed) if person.sealed else None
    if opened is None:
        raise PersonalDataUnreadableError(person.id)
    return opened


def _entry_profile(person: Beneficiary, birth_date: date, day: date, situation: dict[str, Any]) -> dict[str, Any]:
    """The ParticipantProfile of ``day``: gender as at intake, the age that day, the situation then
    known (the intake's answers and each change since), with any answers given now on top."""
    profile = {
        "gender": person.profile["gender"],
        "age_at_entry": age_on(birth_date, day),
        **person.situation,
        **situation,
    }
    return shared.validated(ParticipantProfile, profile, "situation").model_dump(mode="json")


def _enter(
    app: Casework,
    person: Beneficiary,
    *,
    operation: str,
    day: date,
    situation: dict[str, Any],
    special: dict[str, Any] | None,
    automatic: bool,
    recorded_by: str,
    structure: str,
) -> None:
    opened = _opened(app, person)
    profile = _entry_profile(person, date.fromisoformat(opened["personal"]["birth_date"]), day, situation)
    answers = special if special is not None else opened.get("special")
    person.enter_operation(
        operation=operation,
        intake_operation=intake_operation(app, person),
        occurred_on=day,
        profile=profile,
        sealed_special=app.vault.seal(person.id, {"special": answers}) if answers else None,
        automatic=automatic,
        today=app.today(),
        recorded_by=recorded_by,
        structure=structure,
    )


def enter_at_contact(app: Casework, person: Beneficiary, day: date, recorded_by: str) -> None:
    """At a contact with ``person`` on ``day`` (already recorded, so checked), their entry into the
    day's operation if they have not entered it: recorded by the platform (``automatic``) with the
    situation and special-category answers then known. A day in no operation enters nothing, and
    the casework goes on. Costs nothing when there is nothing to enter (no vault look-up)."""
    programme = app.tenant.operation_on(day)
    if programme is None or person.erased or person.voided or day < person.occurred_on:
        return
    if person.participation(programme.period, intake_operation(app, person)) is not None:
        return
    _enter(
        app,
        person,
        operation=programme.period,
        day=day,
        situation={},
        special=None,
        automatic=True,
        recorded_by=recorded_by,
        structure=person.structure,  # the person's, whichever structure the contact was in
    )


def enter_at_amended_contact(app: Casework, work: UnitOfWork, entry: CaseEntry, recorded_by: str) -> None:
    """A contact whose date or people were corrected is a contact on its (new) day with its (new)
    people: each of them enters that day's operation if they have not (``enter_at_contact``)."""
    if isinstance(entry, Beneficiary) or entry.voided:
        return
    one = getattr(entry, "beneficiary_id", None)
    people = getattr(entry, "beneficiary_ids", None) or ([one] if one is not None else [])
    for beneficiary_id in people:
        enter_at_contact(app, work.get(beneficiary_id, Beneficiary, "beneficiary"), entry.occurred_on, recorded_by)


def ensure_intake_may_move(app: Casework, person: Beneficiary, day: date) -> None:
    """An intake's date corrected to ``day`` keeps the ESF records about it true: once the person has
    left the intake's operation the intake stays in that operation and on or before the exit (else the
    exit would count in an operation the figures say they never entered), and it does not move past
    a later operation's entry (the later entry would precede the first)."""
    before, after = intake_operation(app, person), app.tenant.operation_on(day)
    record = person.operations.get(before) if before is not None and before not in person.entry_data else None
    left_on = record.get("left_on") if record else None
    if left_on is not None and (after is None or after.period != before or day > date.fromisoformat(left_on)):
        raise DateOrderError(
            f"the person left operation {before} on {left_on}: the intake stays within it and before the exit",
            field="changes.occurred_on",
        )
    for operation, data in person.operations.items():
        if operation in person.entry_data and day > date.fromisoformat(data["entered_on"]):
            raise DateOrderError(
                f"the person entered operation {operation} on {data['entered_on']}: the intake precedes it",
                field="changes.occurred_on",
            )


# ---------------------------------------------------------------------- the commands
def enter_operation(app: Casework, work: UnitOfWork, cmd: c.EnterOperation) -> Beneficiary:
    """Enter a later operation explicitly, with the data of that day (those given, else those known)."""
    person = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    shared.expect(work, person, cmd.expected_version)
    person.ensure_served_on(cmd.occurred_on, app.today())  # erased first: their key is gone
    operation = operation_of(app, cmd.operation, cmd.occurred_on, within=True)
    _enter(
        app,
        person,
        operation=operation,
        day=cmd.occurred_on,
        situation=cmd.situation.model_dump(mode="json", exclude_none=True) if cmd.situation else {},
        special=cmd.special.model_dump(mode="json") if cmd.special else None,
        automatic=False,
        recorded_by=cmd.recorded_by,
        structure=shared.structure_of(app, cmd.structure, person.structure),
    )
    return person


def change_situation(app: Casework, work: UnitOfWork, cmd: c.ChangeSituation) -> Beneficiary:
    """A change of the person's situation from a date; entry data stay as they were."""
    person = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    shared.expect(work, person, cmd.expected_version)
    person.change_situation(
        changes=cmd.changes.model_dump(mode="json", exclude_none=True),
        occurred_on=cmd.occurred_on,
        today=app.today(),
        recorded_by=cmd.recorded_by,
        structure=shared.structure_of(app, cmd.structure, person.structure),
    )
    return person


def leave_operation(app: Casework, work: UnitOfWork, cmd: c.LeaveOperation) -> Beneficiary:
    """Leaving an operation entered, once, on a day within it."""
    person = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    shared.expect(work, person, cmd.expected_version)
    person.leave_operation(
        operation=operation_of(app, cmd.operation, cmd.occurred_on, within=True),
        intake_operation=intake_operation(app, person),
        occurred_on=cmd.occurred_on,
        status=cmd.status.model_dump(mode="json"),
        today=app.today(),
        recorded_by=cmd.recorded_by,
        structure=shared.structure_of(app, cmd.structure, person.structure),
    )
    return person


def record_long_term_result(app: Casework, work: UnitOfWork, cmd: c.RecordLongTermResult) -> Beneficiary:
    """The six-month follow-up (it may fall after the operation's end: it is about its results)."""
    person = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    shared.expect(work, person, cmd.expected_version)
    person.record_long_term_result(
        operation=operation_of(app, cmd.operation, cmd.occurred_on, within=False),
        intake_operation=intake_operation(app, person),
        occurred_on=cmd.occurred_on,
        status=cmd.status.model_dump(mode="json"),
        today=app.today(),
        recorded_by=cmd.recorded_by,
        structure=shared.structure_of(app, cmd.structure, person.structure),
    )
    return person


class _Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntryCorrection(_Correction):
    """A later entry's date and profile fields (the age follows from the birth date and the date)."""

    occurred_on: date | None = None
    profile: dict[str, Any] | None = None


class ExitCorrection(_Correction):
    occurred_on: date | None = None
    status: LeavingStatus | None = None


class FollowUpCorrection(_Correction):
    status: LongTermStatus | None = None


CORRECTIONS: dict[str, type[_Correction]] = {
    "entry": EntryCorrection,
    "exit": ExitCorrection,
    "long_term": FollowUpCorrection,
}


def correct_operation_record(app: Casework, work: UnitOfWork, cmd: c.CorrectOperationRecord) -> Beneficiary:
    """Correct an error in a later entry, an exit or a follow-up (a change of situation is no error)."""
    person = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    shared.expect(work, person, cmd.expected_version)
    operation = operation_of(app, cmd.operation, person.occurred_on, within=False)
    given = shared.validated(CORRECTIONS[cmd.record], cmd.changes, "changes").model_dump(exclude_none=True)
    if cmd.special is not None and cmd.record != "entry":
        raise InvalidValueError("special-category answers are corrected on the entry", field="special")
    if cmd.record == "entry":
        given = _entry_changes(app, person, operation, given)
    elif "occurred_on" in given:
        operation_of(app, operation, given["occurred_on"], within=True)  # an exit, within the operation
    if given and cmd.special is None:
        _ensure_changes_something(person, operation, cmd.record, given)
    special = {"special": cmd.special.model_dump(mode="json")} if cmd.special else None
    sealed_special = app.vault.seal(person.id, special) if special else None
    note = {"reason_note": cmd.reason_note} if cmd.reason_note else None
    person.correct_operation_record(
        operation=operation,
        intake_operation=intake_operation(app, person),
        record=cmd.record,
        changes=given,
        sealed_special=sealed_special,
        reason=cmd.reason,
        sealed_reason=app.vault.seal(person.id, note) if note else None,
        today=app.today(),
        recorded_by=cmd.recorded_by,
        structure=shared.structure_of(app, cmd.structure, person.structure),
    )
    return person


def _entry_changes(app: Casework, person: Beneficiary, operation: str, given: dict[str, Any]) -> dict[str, Any]:
    """A later entry's corrected date and whole profile: the recorded one with the fields given, the age
    recomputed for a new date. Its date stays within the operation."""
    if operation not in person.entry_data:
        return given  # the intake's operation: the domain refuses, naming amend
    if "age_at_entry" in (given.get("profile") or {}):
        raise InvalidValueError(
            "the age at entry follows from the birth date and the entry's date", field="changes.profile.age_at_entry"
        )
    day = given.get("occurred_on")
    if day is not None:
        operation_of(app, operation, day, within=True)
        left_on = person.operations[operation]["left_on"]
        if left_on is not None and day > date.fromisoformat(left_on):
            raise DateOrderError(f"the person left the operation on {left_on}", field="changes.occurred_on")
    if "profile" not in given and day is None:
        return given
    profile = {**person.entry_data[operation]["profile"], **(given.get("profile") or {})}
    if day is not None:
        birth_date = date.fromisoformat(_opened(app, person)["personal"]["birth_date"])
        profile["age_at_entry"] = age_on(birth_date, day)
    model = shared.validated(ParticipantProfile, profile, "changes.profile")
    return {**given, "profile": model.model_dump(mode="json")}


def _ensure_changes_something(person: Beneficiary, operation: str, record: str, given: dict[str, Any]) -> None:
    """A correction giving every field the value it has is none (as ``CaseEntry.amend`` rules): it would
    restate a delivery and change nothing. Statuses are not kept on the aggregate: never "the same"."""
    found = person.operations.get(operation) or {}
    recorded: dict[str, Any] = {}
    if record == "entry":
        recorded = {
            "occurred_on": found.get("entered_on"),
            "profile": person.entry_data.get(operation, {}).get("profile"),
        }
    elif record == "exit":
        recorded = {"occurred_on": found.get("left_on")}
    as_recorded = {k: v.isoformat() if isinstance(v, date) else v for k, v in given.items()}
    same = sorted(k for k, v in as_recorded.items() if k in recorded and recorded[k] == v)
    if len(same) == len(given):
        raise InvalidValueError(
            f"the correction gives {same[0]!r} the value it already has", field=f"changes.{same[0]}"
        )
