"""A beneficiary: the person served, registered once at intake."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.entries import CaseEntry
from domain.errors import BeneficiaryErasedError, InvalidValueError


class Beneficiary(CaseEntry):
    """Registered at intake with the ESF entry profile (in clear) and sealed personal data.

    ``profile`` follows domain.profile.ParticipantProfile; ``sealed`` holds PersonalDetails and
    SpecialCategoryAnswers, sealed with this beneficiary's own key.
    """

    KIND: ClassVar[str] = "beneficiary"
    AMENDABLE: ClassVar[frozenset[str]] = frozenset({"profile", "occurred_on", "structure"})

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

    def ensure_open_for_changes(self) -> None:
        if self.erased:
            raise BeneficiaryErasedError(self.id)
        super().ensure_open_for_changes()

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
