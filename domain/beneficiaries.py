"""A beneficiary: the person served, registered once at intake."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEvent, event

from domain.catalogue import CorrectionReason
from domain.entries import CaseEntry, ensure_not_future
from domain.errors import (
    AmkaDateMismatchError,
    BeneficiaryErasedError,
    DateOrderError,
    EntryVoidedError,
    InvalidTransitionError,
    InvalidValueError,
)
from domain.esf import SITUATION_FIELDS, LeavingStatus, LongTermStatus, follow_up_due
from domain.identifiers import amka_matches_birth_date
from domain.profile import ParticipantProfile, age_on

OLDEST = 120  # years at intake: an older age is a mistyped birth date


class Beneficiary(CaseEntry):
    """Registered at intake with the ESF entry profile (in clear) and sealed personal data.

    ``profile`` follows domain.profile.ParticipantProfile; ``sealed`` holds PersonalDetails and
    SpecialCategoryAnswers, sealed with this beneficiary's own key.
    """

    KIND: ClassVar[str] = "beneficiary"
    AMENDABLE: ClassVar[tuple[str, ...]] = ("occurred_on", "structure", "profile")

    # The event classes @event makes, declared for the type checker (which cannot see them).
    if TYPE_CHECKING:
        Registered: ClassVar[type[DomainEvent]]
        LegalHoldPlaced: ClassVar[type[DomainEvent]]
        Erased: ClassVar[type[DomainEvent]]
        CaseAssigned: ClassVar[type[DomainEvent]]
        OperationEntered: ClassVar[type[DomainEvent]]
        SituationChanged: ClassVar[type[DomainEvent]]
        OperationLeft: ClassVar[type[DomainEvent]]
        LongTermResultRecorded: ClassVar[type[DomainEvent]]
        OperationRecordCorrected: ClassVar[type[DomainEvent]]

    @event("Registered")
    def __init__(
        self,
        *,
        id: UUID,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        profile: dict[str, Any],
        sealed: str,
    ) -> None:
        self.occurred_on = occurred_on
        self.structure = structure
        self.recorded_by = recorded_by
        self.profile = profile
        self.sealed = sealed
        self.voided = False
        self.corrections = 0
        self.holds: list[date] = []
        self.erased = False
        # Who answers for the person now, and since when: whoever took the intake, until the case is
        # given to someone else (``assign``). Set here so that logs from before ownership replay.
        self.responsible = recorded_by
        self.responsible_since = occurred_on
        # ESF participation (domain/esf.py): the operations entered after the intake's own, by period
        # ({"entered_on", "left_on", "followed_up"} as ISO dates / a flag), and situation changes since.
        self.operations: dict[str, dict[str, Any]] = {}
        self.situation_changes: dict[str, Any] = {}
        # A later entry's data as recorded then corrected, by period ({"profile", "sealed_special"}): what
        # a partial correction starts from and what an erasure keeps under the statistics key.
        self.entry_data: dict[str, dict[str, Any]] = {}

    @classmethod
    def register(
        cls,
        *,
        id: UUID,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        answers: Mapping[str, Any],
        birth_date: date,
        amka: str | None,
        amka_date_mismatch_confirmed: bool,
        today: date,
        seal: Callable[[], str],
    ) -> Beneficiary:
        """A person's intake, refused unless its dates hold: the intake and the birth date not in the
        future, born before the intake and at most 120 years before it, and an ΑΜΚΑ whose DDMMYY is the
        birth date unless staff confirmed it is not. The age at entry is computed here, from the birth
        date. ``seal`` (which may claim the ΑΜΚΑ and creates the person's key) is called only once the
        intake passes, so a refused one leaves nothing behind."""
        ensure_not_future(occurred_on, today)
        ensure_not_future(birth_date, today, "personal.birth_date")
        if birth_date > occurred_on:
            raise DateOrderError("birth date is after the intake", field="personal.birth_date")
        age = age_on(birth_date, occurred_on)
        if age > OLDEST:
            raise InvalidValueError(f"birth date gives an age over {OLDEST}", field="personal.birth_date")
        if amka is not None and not amka_date_mismatch_confirmed and not amka_matches_birth_date(amka, birth_date):
            raise AmkaDateMismatchError()
        profile = ParticipantProfile(age_at_entry=age, **answers)
        return cls(
            id=id,
            occurred_on=occurred_on,
            structure=structure,
            recorded_by=recorded_by,
            profile=profile.model_dump(mode="json"),
            sealed=seal(),
        )

    def ensure_active(self) -> None:
        """Refuse to record anything more about a voided or erased person (erased said first: it is final,
        and the same answer as for every other entry about them)."""
        if self.erased:
            raise BeneficiaryErasedError(self.id)
        if self.voided:
            raise EntryVoidedError(self.id)

    def ensure_after_intake(self, day: date) -> None:
        """Nothing about a person is dated before their intake."""
        if day < self.occurred_on:
            raise DateOrderError(f"date precedes the beneficiary's intake ({self.occurred_on})", field="occurred_on")

    def ensure_served_on(self, day: date, today: date) -> None:
        """An entry about this person, dated ``day``: they are active, and the day is neither in the
        future nor before their intake."""
        self.ensure_active()
        ensure_not_future(day, today)
        self.ensure_after_intake(day)

    def ensure_open_for_changes(self) -> None:
        if self.erased:
            raise BeneficiaryErasedError(self.id)
        super().ensure_open_for_changes()

    def recorded_value(self, name: str) -> Any:
        # ``structure`` follows the case once it is given to another structure (``assign``): the
        # structure recorded at intake is the read model's, not this attribute, so never "the same".
        return object() if name == "structure" else super().recorded_value(name)

    def check_amendment(self, changes: dict[str, Any]) -> None:
        moved = changes.get("structure")
        if moved is not None and moved != self.structure:
            # The structure responsible for a person moves with the case, to a worker of it; a correction
            # alone would leave her with a worker who may no longer see her, and in no one's list.
            raise InvalidValueError(
                "a person's structure follows their case: give the case to a worker of that structure "
                "first, then correct the structure recorded at intake",
                field="changes.structure",
            )

    def assign(
        self,
        *,
        worker: str,
        structure: str,
        sealed_reason: str | None,
        occurred_on: date,
        today: date,
        recorded_by: str,
    ) -> None:
        """Give the case to ``worker`` in ``structure`` (a transfer when the structure changes), for a
        reason (sealed, required). Who may give it, and to whom, is the services' (services/access.py);
        here: an active person, a change, and a date neither in the future, nor before the intake,
        nor before the case was last given."""
        self.ensure_active()
        if sealed_reason is None:
            raise InvalidValueError("a case is given to another worker for a reason", field="reason")
        if worker == self.responsible and structure == self.structure:
            raise InvalidTransitionError("this worker is already responsible for the person", field="worker")
        ensure_not_future(occurred_on, today)
        self.ensure_after_intake(occurred_on)
        if occurred_on < self.responsible_since:
            raise DateOrderError(
                f"the case was last given on {self.responsible_since}; a new assignment cannot precede it",
                field="occurred_on",
            )
        self._assigned(
            worker=worker,
            structure=structure,
            sealed_reason=sealed_reason,
            occurred_on=occurred_on,
            recorded_by=recorded_by,
        )

    @event("CaseAssigned")
    def _assigned(
        self, *, worker: str, structure: str, sealed_reason: str | None, occurred_on: date, recorded_by: str
    ) -> None:
        # The person's structure is now the receiving one (who sees them follows it, services/access.py);
        # the figures' structure as at entry is the read model's, which this event does not change.
        self.responsible = worker
        self.responsible_since = occurred_on
        self.structure = structure

    def place_legal_hold(self, *, until: date, reason: str, today: date, recorded_by: str) -> None:
        """Keep this person's data at least until ``until`` (a court case, an audit, a complaint)."""
        if self.erased:
            raise BeneficiaryErasedError(self.id)
        if until <= today:
            raise InvalidValueError("a legal hold must end after today", field="until")
        self._held(until=until, reason=reason, occurred_on=today, recorded_by=recorded_by, structure=self.structure)

    @event("LegalHoldPlaced")
    def _held(self, *, until: date, reason: str, occurred_on: date, recorded_by: str, structure: str) -> None:
        self.holds = [*self.holds, until]

    def erase(
        self, *, reason: str, legal_ground: str | None, statistics: str | None, today: date, recorded_by: str
    ) -> None:
        """Record the erasure; the caller then destroys the key. ``statistics`` keeps the ESF answers only."""
        if self.erased:
            raise BeneficiaryErasedError(self.id)
        self._erased(
            reason=reason,
            legal_ground=legal_ground,
            sealed_changes=statistics,
            occurred_on=today,
            recorded_by=recorded_by,
            structure=self.structure,
        )

    @event("Erased")
    def _erased(
        self,
        *,
        reason: str,
        legal_ground: str | None,
        sealed_changes: str | None,
        occurred_on: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        self.erased = True

    # ------------------------------------------------------------------ ESF participation (issue 21)
    # The operation a day belongs to is the tenant's (domain/tenants.py: Tenant.operation_on), so the
    # services pass it, and the intake's own operation, as the programme period ("2014-2020"...).

    @property
    def situation(self) -> dict[str, Any]:
        """The person's situation now: the intake's answers, then each change of situation since."""
        return {**{k: self.profile[k] for k in SITUATION_FIELDS}, **self.situation_changes}

    def participation(self, operation: str, intake_operation: str | None) -> dict[str, Any] | None:
        """The person's record in ``operation`` ({"entered_on", "left_on", "followed_up"}), or None."""
        if operation in self.operations:
            return self.operations[operation]
        if operation == intake_operation:
            return {"entered_on": self.occurred_on.isoformat(), "left_on": None, "followed_up": False}
        return None

    def _participation_of(self, operation: str, intake_operation: str | None) -> dict[str, Any]:
        found = self.participation(operation, intake_operation)
        if found is None:
            raise InvalidTransitionError(f"the person has not entered operation {operation}", field="operation")
        return found

    def enter_operation(
        self,
        *,
        operation: str,
        intake_operation: str | None,
        occurred_on: date,
        profile: dict[str, Any],
        sealed_special: str | None,
        automatic: bool,
        today: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        """Enter a later operation, with the data of that day (no second intake). ``profile`` is the
        ParticipantProfile as of ``occurred_on`` (the age computed by the caller from the birth date);
        ``sealed_special`` the special-category answers of that day, sealed. ``automatic``: recorded by
        the platform at the person's first contact in the operation, with the situation then known."""
        self.ensure_served_on(occurred_on, today)
        if self.participation(operation, intake_operation) is not None:
            raise InvalidTransitionError(
                f"the person entered operation {operation} already: a return within it counts once",
                field="operation",
            )
        model = ParticipantProfile(**profile)
        self._entered_operation(
            operation=operation,
            occurred_on=occurred_on,
            profile=model.model_dump(mode="json"),
            sealed_special=sealed_special,
            automatic=automatic,
            recorded_by=recorded_by,
            structure=structure,
        )

    @event("OperationEntered")
    def _entered_operation(
        self,
        *,
        operation: str,
        occurred_on: date,
        profile: dict[str, Any],
        sealed_special: str | None,
        automatic: bool,
        recorded_by: str,
        structure: str,
    ) -> None:
        self.operations = {
            **self.operations,
            operation: {"entered_on": occurred_on.isoformat(), "left_on": None, "followed_up": False},
        }
        self.entry_data = {**self.entry_data, operation: {"profile": profile, "sealed_special": sealed_special}}

    def change_situation(
        self, *, changes: dict[str, Any], occurred_on: date, today: date, recorded_by: str, structure: str
    ) -> None:
        """A change in the person's situation from ``occurred_on`` (a job found, a move): never a
        rewrite of what was true at entry (that is a correction, ``amend``)."""
        self.ensure_served_on(occurred_on, today)
        unknown = sorted(set(changes).difference(SITUATION_FIELDS))
        if unknown:
            raise InvalidValueError(
                f"{unknown[0]!r} is not part of a person's situation", field=f"changes.{unknown[0]}"
            )
        current = self.situation
        changed = {k: v for k, v in changes.items() if current.get(k) != v}
        if not changed:
            raise InvalidValueError("the situation given is the one already recorded", field="changes")
        # Checked as a whole profile: the same values a profile accepts.
        ParticipantProfile(**{**self.profile, **current, **changed})
        self._situation_changed(changes=changed, occurred_on=occurred_on, recorded_by=recorded_by, structure=structure)

    @event("SituationChanged")
    def _situation_changed(
        self, *, changes: dict[str, Any], occurred_on: date, recorded_by: str, structure: str
    ) -> None:
        self.situation_changes = {**self.situation_changes, **changes}

    def leave_operation(
        self,
        *,
        operation: str,
        intake_operation: str | None,
        occurred_on: date,
        status: dict[str, Any],
        today: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        """Leave an operation entered, once, not before entering it; ``status`` a LeavingStatus."""
        self.ensure_active()
        ensure_not_future(occurred_on, today)
        record = self._participation_of(operation, intake_operation)
        if record["left_on"] is not None:
            raise InvalidTransitionError(
                f"the person left operation {operation} on {record['left_on']}", field="operation"
            )
        if occurred_on < date.fromisoformat(record["entered_on"]):
            raise DateOrderError(f"the person entered the operation on {record['entered_on']}", field="occurred_on")
        self._left_operation(
            operation=operation,
            occurred_on=occurred_on,
            status=LeavingStatus(**status).model_dump(mode="json"),
            recorded_by=recorded_by,
            structure=structure,
        )

    @event("OperationLeft")
    def _left_operation(
        self, *, operation: str, occurred_on: date, status: dict[str, Any], recorded_by: str, structure: str
    ) -> None:
        record = self.operations.get(operation) or {"entered_on": self.occurred_on.isoformat(), "followed_up": False}
        self.operations = {**self.operations, operation: {**record, "left_on": occurred_on.isoformat()}}

    def record_long_term_result(
        self,
        *,
        operation: str,
        intake_operation: str | None,
        occurred_on: date,
        status: dict[str, Any],
        today: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        """The follow-up six months after leaving, once, not before it is due; ``status`` a LongTermStatus.
        Not for an erased or voided person: nobody is contacted again after an erasure."""
        self.ensure_active()
        ensure_not_future(occurred_on, today)
        record = self._participation_of(operation, intake_operation)
        if record["left_on"] is None:
            raise InvalidTransitionError("the person has not left the operation", field="operation")
        due = follow_up_due(date.fromisoformat(record["left_on"]))
        if occurred_on < due:
            raise DateOrderError(f"the six-month follow-up is due on {due}", field="occurred_on")
        if record["followed_up"]:
            raise InvalidTransitionError("the six-month follow-up is recorded already", field="operation")
        self._long_term_recorded(
            operation=operation,
            occurred_on=occurred_on,
            status=LongTermStatus(**status).model_dump(mode="json"),
            recorded_by=recorded_by,
            structure=structure,
        )

    @event("LongTermResultRecorded")
    def _long_term_recorded(
        self, *, operation: str, occurred_on: date, status: dict[str, Any], recorded_by: str, structure: str
    ) -> None:
        record = self.operations.get(operation) or {"entered_on": self.occurred_on.isoformat(), "left_on": None}
        followed = {"followed_up": True, "followed_up_on": occurred_on.isoformat()}
        self.operations = {**self.operations, operation: {**record, **followed}}

    def correct_operation_record(
        self,
        *,
        operation: str,
        intake_operation: str | None,
        record: str,
        changes: dict[str, Any],
        sealed_special: str | None,
        reason: CorrectionReason,
        sealed_reason: str | None,
        today: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        """Correct what was recorded for an operation: a later entry's data or date (``record`` "entry";
        the intake's own are corrected by ``amend``), the exit's date or status ("exit"), the
        follow-up's status ("long_term"). ``changes`` hold the corrected values in full for a status,
        or the fields of an entry's profile and ``occurred_on``. A change of situation is no correction."""
        self.ensure_open_for_changes()
        if reason is CorrectionReason.CHANGE_OF_SITUATION:
            raise InvalidValueError(
                "a change of situation is recorded as one, from its date; a correction is for an error",
                field="reason",
            )
        found = self._participation_of(operation, intake_operation)
        if not changes and sealed_special is None:
            raise InvalidValueError("a correction must change something", field="changes")
        if "occurred_on" in changes:
            ensure_not_future(changes["occurred_on"], today, "changes.occurred_on")
        checks = {"entry": self._corrected_entry, "exit": self._corrected_exit, "long_term": self._corrected_follow_up}
        if record not in checks:
            raise InvalidValueError("record is one of entry, exit, long_term", field="record")
        changes = checks[record](operation, found, changes)
        self._operation_record_corrected(
            operation=operation,
            record=record,
            changes=changes,
            sealed_special=sealed_special,
            reason=reason.value,
            sealed_reason=sealed_reason,
            occurred_on=today,
            recorded_by=recorded_by,
            structure=structure,
        )

    @staticmethod
    def _only(changes: dict[str, Any], allowed: set[str], what: str) -> None:
        unknown = sorted(set(changes).difference(allowed))
        if unknown:
            raise InvalidValueError(f"{what}'s {unknown[0]!r} is not corrected here", field=f"changes.{unknown[0]}")

    def _corrected_entry(self, operation: str, found: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        # A later entry is one with entry data: the intake's operation is in ``operations`` too once
        # the person leaves it, and its entry is still the intake's.
        if operation not in self.entry_data:
            raise InvalidValueError(
                "the intake's operation is entered at the intake: correct the intake itself", field="record"
            )
        self._only(changes, {"occurred_on", "profile"}, "an entry")
        if "occurred_on" in changes:
            self.ensure_after_intake(changes["occurred_on"])
        if "profile" in changes:
            changes = {**changes, "profile": ParticipantProfile(**changes["profile"]).model_dump(mode="json")}
        return changes

    def _corrected_exit(self, operation: str, found: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        if found["left_on"] is None:
            raise InvalidTransitionError("the person has not left the operation", field="record")
        self._only(changes, {"occurred_on", "status"}, "an exit")
        if "status" in changes:
            changes = {**changes, "status": LeavingStatus(**changes["status"]).model_dump(mode="json")}
        entered = found["entered_on"]
        if "occurred_on" in changes and changes["occurred_on"] < date.fromisoformat(entered):
            raise DateOrderError(f"the person entered the operation on {entered}", field="changes.occurred_on")
        # A later exit would leave a follow-up of less than six months among the longer-term results.
        followed_on = found.get("followed_up_on")
        if (
            "occurred_on" in changes
            and followed_on
            and follow_up_due(changes["occurred_on"]) > date.fromisoformat(followed_on)
        ):
            raise DateOrderError(
                f"the six-month follow-up was recorded on {followed_on}: the exit is at least six months before it",
                field="changes.occurred_on",
            )
        return changes

    def _corrected_follow_up(self, operation: str, found: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        if not found["followed_up"]:
            raise InvalidTransitionError("no six-month follow-up is recorded", field="record")
        self._only(changes, {"status"}, "a follow-up")
        if "status" in changes:
            changes = {**changes, "status": LongTermStatus(**changes["status"]).model_dump(mode="json")}
        return changes

    @event("OperationRecordCorrected")
    def _operation_record_corrected(
        self,
        *,
        operation: str,
        record: str,
        changes: dict[str, Any],
        sealed_special: str | None,
        reason: str,
        sealed_reason: str | None,
        occurred_on: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        day = changes.get("occurred_on")
        if day is not None and record in ("entry", "exit"):
            current = self.operations.get(operation) or {
                "entered_on": self.occurred_on.isoformat(),
                "left_on": None,
                "followed_up": False,
            }
            key = "entered_on" if record == "entry" else "left_on"
            self.operations = {**self.operations, operation: {**current, key: day.isoformat()}}
        if record == "entry" and operation in self.entry_data:
            data = dict(self.entry_data[operation])
            if "profile" in changes:
                data["profile"] = changes["profile"]
            if sealed_special is not None:
                data["sealed_special"] = sealed_special
            self.entry_data = {**self.entry_data, operation: data}
        self.corrections += 1
