"""What every casework entry shares: when it happened, who recorded it where, and corrections.

A mistaken entry is never edited in place: ``amend`` and ``void`` append events that say what
changed and why, and both the entry and its corrections stay in history.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEvent, event

from domain.catalogue import CorrectionReason
from domain.errors import (
    DateInFutureError,
    EntryVoidedError,
    InvalidValueError,
    NotAmendableError,
)


def ensure_not_future(day: date, today: date, field: str = "occurred_on") -> None:
    if day > today:
        raise DateInFutureError(field)


_UNKNOWN = object()  # a field whose recorded value the aggregate does not keep: never "the same"


class CaseEntry(Aggregate):
    """Base of every casework aggregate. Codes are stored as plain strings, dates as dates."""

    KIND: ClassVar[str] = "entry"
    # The fields a correction may change, declared once per kind: the payload models
    # (services/commands.py), the import layouts and the published changes all derive from it.
    # In the order a correction's changes are recorded.
    AMENDABLE: ClassVar[tuple[str, ...]] = ()
    # Amendable fields never published to the Region (gateways/kafka/envelope.py).
    UNPUBLISHED: ClassVar[frozenset[str]] = frozenset()
    # The field beside a coded one that holds the municipality's own code (domain/local_catalogue.py),
    # by the coded field's name. Set by the handler from the code given, never by a caller; never
    # published (the Region counts the national code only).
    LOCAL: ClassVar[dict[str, str]] = {}

    # The event classes @event makes, declared for the type checker (which cannot see them).
    if TYPE_CHECKING:
        Amended: ClassVar[type[DomainEvent]]
        Voided: ClassVar[type[DomainEvent]]

    # Declared for the type checker only: at run time eventsourcing would turn class annotations
    # into attributes of every event class. Each subclass's created event sets them.
    if TYPE_CHECKING:
        occurred_on: date
        structure: str
        recorded_by: str
        sealed: str | None
        voided: bool
        corrections: int

    @property
    def subject_id(self) -> UUID:
        """Whose key seals this entry's personal data (erasing that key erases them)."""
        return self.id

    def ensure_open_for_changes(self) -> None:
        if self.voided:
            raise EntryVoidedError(self.id)

    def amend(
        self,
        *,
        changes: dict[str, Any],
        sealed: str | None,
        reason: CorrectionReason,
        sealed_reason: str | None,
        today: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        """Correct fields of this entry. ``sealed`` replaces the sealed personal data, if given."""
        self.ensure_open_for_changes()
        unknown = sorted(set(changes).difference(self.AMENDABLE, self.LOCAL.values()))
        if unknown:
            raise NotAmendableError(
                f"{self.KIND} field {unknown[0]!r} cannot be amended", field=f"changes.{unknown[0]}"
            )
        if not changes and sealed is None:
            raise InvalidValueError("a correction must change something", field="changes")
        same = sorted(name for name, value in changes.items() if self.recorded_value(name) == value)
        if same and len(same) == len(changes) and sealed is None:
            # A correction that gives every field the value it has is no correction: recorded, it would
            # count as one (the entry's corrections, a restated ESF delivery) and change nothing.
            raise InvalidValueError(
                f"the correction gives {same[0]!r} the value it already has", field=f"changes.{same[0]}"
            )
        if reason is CorrectionReason.CHANGE_OF_SITUATION and changes:
            raise InvalidValueError(
                "a change of situation updates the person's current details only; what was recorded "
                "about the time is corrected with the reason for the error",
                field=f"changes.{sorted(changes)[0]}",
            )
        if "occurred_on" in changes:
            ensure_not_future(changes["occurred_on"], today, "changes.occurred_on")
        self.check_amendment(changes)
        self._amended(
            changes=changes,
            sealed_changes=sealed,
            reason=reason.value,
            sealed_reason=sealed_reason,
            occurred_on=today,
            recorded_by=recorded_by,
            structure=structure,
        )

    def check_amendment(self, changes: dict[str, Any]) -> None:
        """Subclasses refuse amendments that would break their invariants."""

    def recorded_value(self, name: str) -> Any:
        """What the entry records for an amendable field, to tell a correction that changes nothing."""
        return getattr(self, name, _UNKNOWN)

    @event("Amended")
    def _amended(
        self,
        *,
        changes: dict[str, Any],
        sealed_changes: str | None,
        reason: str,
        sealed_reason: str | None,
        occurred_on: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
        if sealed_changes is not None:
            self.sealed = sealed_changes
        self.corrections += 1

    def void(
        self,
        *,
        reason: CorrectionReason,
        sealed_reason: str | None,
        today: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        """Declare this entry void: it stays in history but counts for nothing from now on."""
        self.ensure_open_for_changes()
        self._voided(
            reason=reason.value,
            sealed_reason=sealed_reason,
            occurred_on=today,
            recorded_by=recorded_by,
            structure=structure,
        )

    @event("Voided")
    def _voided(
        self,
        *,
        reason: str,
        sealed_reason: str | None,
        occurred_on: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        self.voided = True
        self.corrections += 1
