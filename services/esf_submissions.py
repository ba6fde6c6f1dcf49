"""ESF submissions pinned to the log: submitting a delivery, the list, and whether each still holds.

A submission records the figures of one operation and period (``projections.cells.flatten_esf`` of
the delivery, the whole operation) and the views' log position they were computed at. It still
holds while the figures computed now are the same; otherwise it is restated, and
``services.esf_restatement`` says which cells changed and which events changed them. Corrections
that touch a submitted period are warned of cheaply (``correction_warnings``: dates only, no replay).
Who may submit and read is ``services.access`` (``may_deliver_esf``, ``may_read_esf_submissions``).
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.beneficiaries import Beneficiary
from domain.errors import CommandIdReusedError, ConcurrentChangeError, EntryNotFoundError
from domain.esf import EsfSubmission
from domain.tenants import Tenant
from domain.undecodable import decodable
from projections import esf_queries
from projections.cells import flatten_esf
from projections.runner import CaseworkViews
from services import commands as c
from services.access import Principal, Role, may_deliver_esf, may_read_esf_submissions
from services.casework import Casework
from services.esf import checked_operation
from services.idempotency import CommandRecord, command_record_id, entry_id_for

COMMAND = "submit_esf_delivery"
KIND = "esf_submission"
TOPIC = get_topic(EsfSubmission.Submitted)
PAGE = 500
PINNING_TRIES = 20  # the views moved while the figures were read: read them again (another process folding)


@dataclass(frozen=True)
class Submission:
    """A delivery as recorded: what was submitted, when, by whom, and the log position of its figures."""

    id: UUID
    operation: str  # the programme period, the operation's key in events
    code: str | None  # the MIS/ΟΠΣ code, where known
    period_from: date
    period_to: date
    submitted_on: date
    recorded_at: datetime
    recorded_by: str
    reference: str | None
    position: int
    figures: dict[str, int] = field(repr=False)

    def touches(self, operation: str, day: date) -> bool:
        """Whether a day of an operation falls in this submission's period."""
        return operation == self.operation and self.period_from <= day <= self.period_to


# ------------------------------------------------------------------------------------ the figures
def delivery_figures(views: CaseworkViews, operation: str, start: date, end: date) -> tuple[dict[str, int], int]:
    """The delivery's figures for the whole operation and the log position they include.

    The views are caught up first; the position is read before and after the figures, and the figures
    are read again if another process folded meanwhile, so the position is that of the log they count
    (every fold writes its rows and its position in one transaction: projections/runner.py)."""
    views.catch_up()
    for _ in range(PINNING_TRIES):
        before = views.position()
        doc = views.read(esf_queries.esf_delivery, operation, start, end, None)
        if views.position() == before:
            return flatten_esf(doc), before
    raise ConcurrentChangeError("the figures kept moving while they were read; try again")


# ------------------------------------------------------------------------------------ submitting
class SubmitDelivery(c.Payload):
    """What a submission's command id stands for (its fingerprint): a retry must say the same."""

    command: str = COMMAND
    recorded_by: str
    operation: str
    period_from: date
    period_to: date
    submitted_on: date | None  # as given: a retry without a date is the same command on another day
    reference: str | None


def submit(
    casework: Casework,
    views: CaseworkViews,
    tenant: Tenant | str,
    *,
    operation: str,
    start: date,
    end: date,
    submitted_on: date | None,
    reference: str | None,
    command_id: str,
    recorded_by: str,
) -> UUID:
    """Record a delivery of ``operation`` for ``start``-``end`` with the figures as computed now.

    Idempotent by ``command_id``: a retry returns the first submission's id and records nothing; the
    same id with other terms is refused (CommandIdReusedError). Access is the caller's (``submit_as``)."""
    own = casework.tenant
    if (tenant if isinstance(tenant, str) else tenant.id) != own.id:
        raise EntryNotFoundError(entry_id_for(own.id, command_id), KIND)
    programme = checked_operation(own, operation, start, end)
    terms = SubmitDelivery(
        recorded_by=recorded_by,
        operation=programme.period,
        period_from=start,
        period_to=end,
        submitted_on=submitted_on,
        reference=(reference or "").strip() or None,
    )
    day = submitted_on or casework.today()
    fingerprint = _fingerprint(casework, terms)
    record_id = command_record_id(own.id, command_id)
    earlier = _record(casework, record_id)
    if earlier is not None:
        # A record made before the date was kept as given holds today's date in its fingerprint.
        dated = _fingerprint(casework, terms.model_copy(update={"submitted_on": day}))
        return _replayed(earlier, fingerprint, dated)
    figures, position = delivery_figures(views, programme.period, start, end)
    submission_id = entry_id_for(own.id, command_id)
    submission = EsfSubmission.submit(
        id=submission_id,
        operation=programme.period,
        period_from=start,
        period_to=end,
        figures=figures,
        position=position,
        submitted_on=day,
        today=casework.today(),
        recorded_by=recorded_by,
        reference=terms.reference,
    )
    record = CommandRecord(
        id=record_id, command=COMMAND, fingerprint=fingerprint, entry_id=submission_id, kind=KIND, version=1
    )
    try:
        casework.save(submission, record)  # both or neither, in one transaction
    except IntegrityError:
        raced = _record(casework, record_id)
        if raced is None:
            raise ConcurrentChangeError("recorded by someone else at the same time; retry") from None
        return _replayed(raced, fingerprint)
    return submission_id


def _record(casework: Casework, record_id: UUID) -> CommandRecord | None:
    try:
        found: object = casework.repository.get(record_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, CommandRecord) else None


def _fingerprint(casework: Casework, terms: SubmitDelivery) -> str:
    return casework.vault.fingerprint(json.dumps(terms.model_dump(mode="json"), sort_keys=True).encode())


def _replayed(record: CommandRecord, *fingerprints: str) -> UUID:
    if record.command != COMMAND or record.fingerprint not in fingerprints:
        raise CommandIdReusedError
    return record.entry_id


def submit_as(
    casework: Casework,
    views: CaseworkViews,
    user: Principal,
    *,
    operation: str,
    start: date,
    end: date,
    submitted_on: date | None,
    reference: str | None,
    command_id: str,
) -> UUID:
    """``submit`` for a caller: only a coordinator of the tenant delivers."""
    may_deliver_esf(user, casework.tenant.id)
    return submit(
        casework,
        views,
        casework.tenant,
        operation=operation,
        start=start,
        end=end,
        submitted_on=submitted_on,
        reference=reference,
        command_id=command_id,
        recorded_by=user.username,
    )


# ------------------------------------------------------------------------------------ reading them
class _Known:
    """The submissions read so far from one tenant's log, and the position read up to."""

    def __init__(self) -> None:
        self.after = 0
        self.found: dict[UUID, Submission] = {}
        self.lock = threading.Lock()


_KNOWN: weakref.WeakKeyDictionary[Casework, _Known] = weakref.WeakKeyDictionary()
_KNOWN_LOCK = threading.Lock()


def recorded(casework: Casework) -> list[Submission]:
    """Every submission of the tenant, oldest first. Only the log rows recorded since the last look are
    read (by topic): cheap enough for every correction's warning."""
    with _KNOWN_LOCK:
        known = _KNOWN.setdefault(casework, _Known())
    with known.lock:
        while rows := casework.recorder.select_notifications(
            start=known.after, limit=PAGE, topics=[TOPIC], inclusive_of_start=False
        ):
            events, _ = decodable(casework.mapper.to_domain_event, rows, reader="esf_submissions")
            for event in events:
                known.found[event.originator_id] = _submission(casework.tenant, event)
            known.after = rows[-1].id
        return sorted(known.found.values(), key=lambda s: s.position)


def _submission(tenant: Tenant, event: Any) -> Submission:
    programme = next((p for p in tenant.programmes if p.period == event.operation), None)
    return Submission(
        id=event.originator_id,
        operation=event.operation,
        code=programme.code if programme else None,
        period_from=event.period_from,
        period_to=event.period_to,
        submitted_on=event.occurred_on,
        recorded_at=event.timestamp,
        recorded_by=event.recorded_by,
        reference=event.reference,
        position=event.position,
        figures=dict(event.figures),
    )


def one(casework: Casework, submission_id: UUID) -> Submission:
    """A submission by id; EntryNotFoundError for any other id."""
    for submission in recorded(casework):
        if submission.id == submission_id:
            return submission
    raise EntryNotFoundError(submission_id, KIND)


def changed_cells(submission: Submission, now: dict[str, int]) -> dict[str, tuple[int, int]]:
    """The cells whose figure differs now from what was submitted: (as submitted, now)."""
    cells = sorted(set(submission.figures) | set(now))
    before = submission.figures
    return {cell: (before.get(cell, 0), now.get(cell, 0)) for cell in cells if before.get(cell, 0) != now.get(cell, 0)}


def listed(casework: Casework, views: CaseworkViews, user: Principal | None = None) -> list[dict[str, Any]]:
    """Every submission, newest first, with whether it still holds (figures computed now on the views);
    ``user`` the caller (a coordinator or auditor of the tenant), None for an operator's command."""
    if user is not None:
        may_read_esf_submissions(user, casework.tenant.id)
        asked_by_auditor(casework, user, "GET /esf/submissions")
    rows = []
    for submission in reversed(recorded(casework)):
        now, _ = delivery_figures(views, submission.operation, submission.period_from, submission.period_to)
        changed = changed_cells(submission, now)
        rows.append({**summary(submission), "holds": not changed, "cells_changed": len(changed)})
    return rows


def asked_by_auditor(casework: Casework, user: Principal, endpoint: str, **parameters: str) -> None:
    """An auditor's look is recorded in the tenant's log, as her other questions are (services.audit)."""
    if user.role is Role.AUDITOR:
        casework.record_audit_query(
            asked_by=user.username, role=user.role.value, endpoint=endpoint, parameters=parameters
        )


def summary(submission: Submission) -> dict[str, Any]:
    """A submission as the gateways answer it (no figures)."""
    return {
        "id": str(submission.id),
        "operation": submission.operation,
        "mis_code": submission.code,
        "from": submission.period_from.isoformat(),
        "to": submission.period_to.isoformat(),
        "submitted_on": submission.submitted_on.isoformat(),
        "recorded_at": submission.recorded_at.isoformat(),
        "recorded_by": submission.recorded_by,
        "reference": submission.reference,
        "position": submission.position,
    }


# ------------------------------------------------------------------------------------ warnings
def _day(value: Any) -> date | None:
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value if isinstance(value, date) else None


OPERATION_RECORDS = ("OperationEntered", "OperationLeft", "LongTermResultRecorded")


def _dates_of(casework: Casework, person: Beneficiary, operation: str | None) -> set[tuple[str, date]]:
    """Every (operation, day) the person's ESF record has had: the intake's date and each later entry's,
    exit's and follow-up's, as first recorded and as corrected."""
    found: set[tuple[str, date]] = set()
    for event in events_of(casework, person.id):
        name = type(event).__qualname__.rsplit(".", 1)[-1]
        changes = getattr(event, "changes", None) or {}
        if name in ("Registered", "Amended"):  # the intake: the entry into the operation of its date
            day = _day(event.occurred_on if name == "Registered" else changes.get("occurred_on"))
            programme = casework.tenant.operation_on(day) if day else None
            if day is not None and programme is not None:
                found.add((programme.period, day))
        elif name in OPERATION_RECORDS or name == "OperationRecordCorrected":
            day = _day(changes.get("occurred_on") if name == "OperationRecordCorrected" else event.occurred_on)
            if day is not None:
                found.add((event.operation, day))
    return {(op, day) for op, day in found if operation in (None, op)}


def events_of(casework: Casework, entry_id: UUID) -> list[Any]:
    """An entry's events in version order (a row that does not decode skipped)."""
    stored = casework.recorder.select_events(entry_id)
    events, _ = decodable(casework.mapper.to_domain_event, stored, reader="esf_submissions")
    return events


FIGURE_FREE = frozenset({"first_name", "last_name", "phone", "email", "address", "afm", "amka"})


def _contact_only(payload: c.AmendFields) -> bool:
    return not payload.changes and not payload.special and set(payload.personal or {}) <= FIGURE_FREE


def correction_warnings(casework: Casework, payload: c.Payload, beneficiary_id: UUID | None = None) -> list[Submission]:
    """The submissions a correction just recorded touches (an intake's amendment or void, or a
    correction of an operation record: ``payload`` the command or its body, ``beneficiary_id`` the
    person where the body does not name them), by its dates alone, no replay. An amendment of a
    person's contact details only, or a correction of an entry that is not a person, changes no ESF
    figure and warns of nothing."""
    person_id, operation = _corrected(payload, beneficiary_id)
    return [] if person_id is None else touched(casework, person_id, operation)


def touched(casework: Casework, person_id: UUID, operation: str | None = None) -> list[Submission]:
    """The submissions whose period holds a date of the person's ESF record (in ``operation`` only, if
    given), or for a contact the later entries it made (``_at_contact``); none for another id."""
    submitted = recorded(casework)
    if not submitted:
        return []
    try:
        person = casework.entry(person_id)
    except EntryNotFoundError:
        return []
    dates = _dates_of(casework, person, operation) if isinstance(person, Beneficiary) else _at_contact(casework, person)
    return [s for s in submitted if any(s.touches(op, day) for op, day in dates)]


def _at_contact(casework: Casework, contact: Any) -> set[tuple[str, date]]:
    """The later operations' entries of a contact's people dated on a day the contact has had: a contact
    moved to a day of an operation its people had not entered enters them there (a late entry in a
    submitted period), so its correction restates the submissions of that day."""
    one = getattr(contact, "beneficiary_id", None)
    people = getattr(contact, "beneficiary_ids", None) or ([one] if one is not None else [])
    days = set()
    for e in events_of(casework, contact.id):
        days.add(
            _day(e.occurred_on if e.originator_version == 1 else (getattr(e, "changes", None) or {}).get("occurred_on"))
        )
    found: set[tuple[str, date]] = set()
    for person in (casework.entry(p) for p in people):
        if isinstance(person, Beneficiary):
            entered = {(op, _day(person.operations[op]["entered_on"])) for op in person.entry_data}
            found |= {(op, day) for op, day in entered if day is not None and day in days}
    return found


def _corrected(payload: c.Payload, beneficiary_id: UUID | None) -> tuple[UUID | None, str | None]:
    """The person a correction may change the figures of, and the operation it is limited to."""
    if isinstance(payload, c.OperationCorrectionFields):
        return getattr(payload, "beneficiary_id", beneficiary_id), payload.operation
    if isinstance(payload, c.AmendFields) and _contact_only(payload):
        return None, None
    if isinstance(payload, c.AmendFields | c.VoidFields):
        return payload.entry_id, None
    return None, None


def warning(submission: Submission) -> dict[str, Any]:
    """A correction's warning as the API answers it (the pages word it in Greek)."""
    code = f"MIS {submission.code}" if submission.code else f"operation {submission.operation}"
    return {
        "code": "submitted_period",
        "submission_id": str(submission.id),
        "operation": submission.operation,
        "mis_code": submission.code,
        "from": submission.period_from.isoformat(),
        "to": submission.period_to.isoformat(),
        "message": f"the correction concerns a submitted period ({code}, {submission.period_from} to "
        f"{submission.period_to}): the submission will be restated",
    }
