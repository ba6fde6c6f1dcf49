"""The demo's ESF participation: exits, six-month follow-ups, changes of situation, past deliveries to
the managing authority and a later correction that restates one (issue 21, docs/design.md).

Drawn from its own generator (``kentra-demo-esf/<tenant>``), never from the history's: the history's
draws, and so every figure the municipalities published and the demo prints, stay as they were. The
people and their last contact are read back from the history's commands.

Each delivery is recorded at the point of the history where its period's records are in: the history
is cut after the last month of the period, the delivery is computed and recorded there, and the rest
follows (later months, late exits, the correction). Everything is recorded when the demo runs, and
says so (the events' own timestamps); a delivery's ``submitted_on`` is the day the demo says it was
delivered, which is shown beside the day it was entered in Kentra.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from demo.cast import COORDINATOR
from demo.names import STAFF
from domain.catalogue import CorrectionReason, EmploymentStatus
from domain.esf import LeavingStatus, LongTermStatus, follow_up_due
from domain.tenants import Tenant
from services import commands as c
from services.idempotency import entry_id_for

EXIT_SHARE = 0.35  # of the participants of each tenant, leave with a status recorded
FOLLOWED_UP_SHARE = 0.6  # of those whose six-month follow-up is due, have it recorded
SITUATION_SHARE = 0.03
# What a participant does on leaving (job searching, in education or training, a qualification,
# employed, none of these), and how often.
LEAVING = (
    ((True, False, False, False), 30),
    ((False, True, False, False), 12),
    ((False, True, True, False), 8),
    ((False, False, False, True), 18),
    ((False, False, False, False), 32),
)
# The history's contacts: a person's first contact in an operation enters it, the last comes before leaving.
CONTACTS = (c.OpenRequest, c.SendReferral, c.RecordHomeVisit, c.RecordActivity)
EsfRecord = c.ChangeSituation | c.LeaveOperation | c.RecordLongTermResult
CLOSINGS = (c.CloseRequest, c.RecordReferralOutcome, c.CompleteHomeVisitFollowUp)


@dataclass(frozen=True)
class DemoSubmission:
    """A delivery the demo makes: of one operation and period, delivered on ``submitted_on``."""

    tenant: str
    operation: str
    start: date
    end: date
    submitted_on: date
    reference: str
    recorded_by: str = COORDINATOR

    @property
    def command_id(self) -> str:
        return f"demo-esf-{self.tenant}-submission-{self.operation}-{self.start:%Y%m%d}-{self.end:%Y%m%d}"


SUBMISSIONS: dict[str, tuple[DemoSubmission, ...]] = {
    "sofades": (
        DemoSubmission(
            "sofades",
            "2014-2020",
            date(2022, 1, 1),
            date(2022, 6, 30),
            date(2022, 7, 15),
            "ΟΠΣ 5002786 · Α΄ εξάμηνο 2022",
        ),
        DemoSubmission(
            "sofades",
            "2014-2020",
            date(2022, 7, 1),
            date(2022, 12, 31),
            date(2023, 1, 16),
            "ΟΠΣ 5002786 · Β΄ εξάμηνο 2022",
        ),
    ),
    "pylaia-chortiatis": (
        DemoSubmission(
            "pylaia-chortiatis",
            "2014-2020",
            date(2021, 1, 1),
            date(2021, 12, 31),
            date(2022, 1, 20),
            "ΟΠΣ 5002873 · 2021",
        ),
    ),
}
RESTATED = SUBMISSIONS["sofades"][0]  # the one a later correction restates; the others still hold


@dataclass
class Participant:
    """A person of the history: when and where they came, what they were doing, their last contact."""

    id: UUID
    intake: date
    structure: str
    employment: str
    last: date
    open: set[UUID] = field(default_factory=set)  # requests, referrals, follow-ups still open


@dataclass
class Segment:
    """Commands to record in order, then the delivery (if any) computed on what they left in the log."""

    commands: list[c.AnyCommand] = field(default_factory=list)
    submission: DemoSubmission | None = None


def participants(tenant: Tenant, history: Iterable[c.AnyCommand]) -> list[Participant]:
    """The history's people in the order it registered them, each with their last contact's day."""
    people: dict[UUID, Participant] = {}
    whose: dict[UUID, Participant] = {}  # an open item's person
    for cmd in history:
        if isinstance(cmd, c.RegisterBeneficiary):
            employment = cmd.profile.employment_status.value
            person_id = entry_id_for(tenant.id, cmd.command_id)
            people[person_id] = Participant(person_id, cmd.occurred_on, cmd.structure, employment, cmd.occurred_on)
        elif isinstance(cmd, CONTACTS):
            ids = cmd.beneficiary_ids if isinstance(cmd, c.RecordActivity) else [cmd.beneficiary_id]
            for person_id in ids or ():
                person = people[person_id]
                person.last = max(person.last, cmd.occurred_on)
            if isinstance(cmd, c.RecordActivity) or (isinstance(cmd, c.RecordHomeVisit) and not cmd.follow_up_due):
                continue
            item = entry_id_for(tenant.id, cmd.command_id)
            whose[item] = people[cmd.beneficiary_id]
            whose[item].open.add(item)
        else:
            closed: UUID | None = (
                getattr(cmd, "request_id", None) or getattr(cmd, "referral_id", None) or getattr(cmd, "visit_id", None)
            )
            declined = isinstance(cmd, c.AnswerReferral) and cmd.command == "decline_referral"
            if closed in whose and (declined or isinstance(cmd, CLOSINGS)):
                whose[closed].open.discard(closed)
    return list(people.values())


class DemoEsf:
    """The ESF records of one tenant's history, drawn from their own seeded generator."""

    def __init__(self, tenant: Tenant, today: date, history: list[c.AnyCommand]) -> None:
        self.tenant = tenant
        self.today = today
        self.history = history
        self.rng = random.Random(f"kentra-demo-esf/{tenant.id}")
        self.people = participants(tenant, history)

    def _id(self, what: str, person: int) -> str:
        # Named by the person's place in the history, never by a running count: a record left out on
        # one day (a follow-up not yet due) shifts no other record's id.
        return f"demo-esf-{self.tenant.id}-{person:06d}-{what}"

    def _operation(self, day: date) -> str | None:
        found = self.tenant.operation_on(day)
        return found.period if found is not None else None

    def records(self) -> list[EsfRecord]:
        """Changes of situation, exits and follow-ups, each person's in the order the service accepts."""
        rng = self.rng
        out: list[EsfRecord] = []
        for n, person in enumerate(self.people):
            operation = self._operation(person.intake)
            if operation is None:
                continue
            if rng.random() < SITUATION_SHARE and person.last > person.intake:
                out.append(self._situation(person, n))
            if rng.random() >= EXIT_SHARE:
                continue
            span_end = self.tenant.operation(operation).operations_to or date.max
            left = min(person.last + timedelta(days=rng.randint(3, 75)), span_end, self.today)
            flags = rng.choices([f for f, _ in LEAVING], weights=[w for _, w in LEAVING])[0]
            status = dict(
                zip(
                    ("job_searching", "in_education_or_training", "qualification_gained", "employed"),
                    flags,
                    strict=True,
                )
            )
            out.append(
                c.LeaveOperation(
                    command_id=self._id("left", n),
                    recorded_by=rng.choice(STAFF),
                    beneficiary_id=person.id,
                    occurred_on=left,
                    operation=operation,
                    status=LeavingStatus(**status),
                    structure=person.structure,
                )
            )
            due = follow_up_due(left)
            followed = due + timedelta(days=rng.randint(0, 40))
            # All drawn whatever the day, so that a run on a later day draws the very same history.
            drawn, employed_draw, improved_draw = rng.random(), rng.random(), rng.random()
            follower = rng.choice(STAFF)
            if followed <= self.today and drawn < FOLLOWED_UP_SHARE:
                employed = employed_draw < (0.7 if status["employed"] else 0.25)
                improved = employed and person.employment in ("employed", "self_employed") and improved_draw < 0.4
                out.append(
                    c.RecordLongTermResult(
                        command_id=self._id("followed-up", n),
                        recorded_by=follower,
                        beneficiary_id=person.id,
                        occurred_on=followed,
                        operation=operation,
                        status=LongTermStatus(employed=employed, improved_labour_market_situation=improved),
                        structure=person.structure,
                    )
                )
        return out

    def _situation(self, person: Participant, n: int) -> c.ChangeSituation:
        rng = self.rng
        day = person.intake + timedelta(days=rng.randint(1, (person.last - person.intake).days))
        others = [s for s in EmploymentStatus if s.value != person.employment]
        changed = rng.choice(others)
        person.employment = changed.value
        return c.ChangeSituation(
            command_id=self._id("situation", n),
            recorded_by=rng.choice(STAFF),
            beneficiary_id=person.id,
            occurred_on=day,
            changes=c.SituationAnswers(employment_status=changed),
            structure=person.structure,
        )

    def corrections(self, records: list[EsfRecord]) -> list[c.AnyCommand]:
        """After every delivery: a typing error in the employment status of an intake of the restated
        period, and the status on leaving of a participant who left in it, both corrected."""
        if RESTATED.tenant != self.tenant.id:
            return []
        left = {cmd.beneficiary_id: cmd for cmd in records if isinstance(cmd, c.LeaveOperation)}
        changed = {cmd.beneficiary_id for cmd in records if isinstance(cmd, c.ChangeSituation)}
        inside = [
            p
            for p in self.people
            if RESTATED.start <= p.intake and p.last <= RESTATED.end and p.structure == "centre" and p.id not in changed
        ]
        out: list[c.AnyCommand] = []
        typed = next((p for p in inside if p.employment == EmploymentStatus.UNEMPLOYED.value), None)
        if typed is not None:
            out.append(
                c.AmendEntry(
                    command_id=f"demo-esf-{self.tenant.id}-correct-employment",
                    recorded_by=STAFF[1],
                    entry_id=typed.id,
                    changes={"profile": {"employment_status": EmploymentStatus.LONG_TERM_UNEMPLOYED.value}},
                    reason=CorrectionReason.TYPING_ERROR,
                    reason_note="Άνεργος/η πάνω από 12 μήνες κατά την είσοδο· καταχωρίστηκε ως άνεργος/η",
                )
            )
        # One who left in the period doing none of the four: employed after all moves one cell (CR04).
        idle = [left[p.id] for p in inside if p.id in left and left[p.id].occurred_on <= RESTATED.end]
        exited = next((cmd for cmd in idle if not any(cmd.status.model_dump().values())), None)
        if exited is not None:
            status = exited.status.model_dump()
            out.append(
                c.CorrectOperationRecord(
                    command_id=f"demo-esf-{self.tenant.id}-correct-exit",
                    recorded_by=STAFF[1],
                    beneficiary_id=exited.beneficiary_id,
                    operation=exited.operation or "2014-2020",
                    record="exit",
                    changes={"status": {**status, "employed": True}},
                    reason=CorrectionReason.NEW_INFORMATION,
                    reason_note="Η σύμβαση εργασίας υπογράφηκε πριν από την αποχώρηση· ήρθε με καθυστέρηση",
                )
            )
        return out

    def segments(self) -> list[Segment]:
        """The history and the ESF records cut at each delivery, then the corrections after them all."""
        submissions = sorted(SUBMISSIONS.get(self.tenant.id, ()), key=lambda s: s.end)
        ends = [s.end for s in submissions]
        segments = [Segment(submission=s) for s in submissions] + [Segment()]

        def index(day: date) -> int:
            return sum(1 for end in ends if end < day)

        at = 0
        for cmd in self.history:
            if isinstance(cmd, (c.RegisterBeneficiary, *CONTACTS)):
                # Entries are dated in the month the history made them, months in order: the first
                # entry after a period's end is where its records are all in.
                at = max(at, index(cmd.occurred_on))
            segments[at].commands.append(cmd)
        records = self.records()
        for record in records:
            segments[index(record.occurred_on)].commands.append(record)
        segments[-1].commands.extend(self.corrections(records))
        return segments


def count(segments: list[Segment]) -> int:
    """How many commands the segments hold (for the progress bar)."""
    return sum(len(s.commands) for s in segments)
