"""A beneficiary: the person served, registered once at intake."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.entries import CaseEntry


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
