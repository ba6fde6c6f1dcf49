"""A beneficiary: the person served, registered once at intake."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEvent, event

from domain.entries import CaseEntry, ensure_not_future
from domain.errors import (
    AmkaDateMismatchError,
    BeneficiaryErasedError,
    DateOrderError,
    EntryVoidedError,
    InvalidTransitionError,
    InvalidValueError,
)
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
