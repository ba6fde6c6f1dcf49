"""A request (αίτημα) a beneficiary brings, of one category, through its lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEvent, event

from domain.catalogue import Agency, AgencyApplicationStatus, RequestStatus
from domain.entries import CaseEntry, ensure_not_future
from domain.errors import DateOrderError, InvalidTransitionError, InvalidValueError

if TYPE_CHECKING:
    from domain.beneficiaries import Beneficiary

Seal = Callable[[UUID], str | None]  # seals an entry's notes under a subject's key (None: nothing to seal)

ACTIVE = frozenset({RequestStatus.OPENED.value, RequestStatus.IN_PROGRESS.value})


class CaseRequest(CaseEntry):
    """Opened, possibly in progress, then resolved, closed unresolved or withdrawn."""

    KIND: ClassVar[str] = "request"
    AMENDABLE: ClassVar[tuple[str, ...]] = ("category", "occurred_on", "agency", "agency_reference")
    UNPUBLISHED: ClassVar[frozenset[str]] = frozenset({"agency_reference"})  # the agency's protocol number
    LOCAL: ClassVar[dict[str, str]] = {"category": "local_category"}

    # The event classes @event makes, declared for the type checker (which cannot see them).
    if TYPE_CHECKING:
        Opened: ClassVar[type[DomainEvent]]
        ProgressStarted: ClassVar[type[DomainEvent]]
        Closed: ClassVar[type[DomainEvent]]
        AgencyStatusRecorded: ClassVar[type[DomainEvent]]
        Reopened: ClassVar[type[DomainEvent]]

    @event("Opened")
    def __init__(
        self,
        *,
        id: UUID,
        beneficiary_id: UUID,
        category: str,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        agency: str | None,
        agency_reference: str | None,
        sealed: str | None,
        # The municipality's own category, mapped to ``category`` (issue 23); absent from older events.
        local_category: str | None = None,
    ) -> None:
        self.beneficiary_id = beneficiary_id
        self.category = category
        self.local_category = local_category
        self.occurred_on = occurred_on
        self.structure = structure
        self.recorded_by = recorded_by
        self.agency = agency
        self.agency_reference = agency_reference
        self.agency_status: str | None = None
        self.sealed = sealed
        self.status = RequestStatus.OPENED.value
        self.last_step_on = occurred_on
        self.steps = 0
        self.closed_on: date | None = None
        self.voided = False
        self.corrections = 0

    @classmethod
    def open(
        cls,
        *,
        id: UUID,
        beneficiary: Beneficiary,
        category: str,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        agency: str | None,
        agency_reference: str | None,
        today: date,
        seal: Seal,
        local_category: str | None = None,
    ) -> CaseRequest:
        """A request of an active beneficiary, dated neither in the future nor before their intake."""
        beneficiary.ensure_served_on(occurred_on, today)
        return cls(
            id=id,
            beneficiary_id=beneficiary.id,
            category=category,
            occurred_on=occurred_on,
            structure=structure,
            recorded_by=recorded_by,
            agency=agency,
            agency_reference=agency_reference,
            sealed=seal(beneficiary.id),
            local_category=local_category,
        )

    @property
    def subject_id(self) -> UUID:
        return self.beneficiary_id

    def _step(self, occurred_on: date, today: date, step: str) -> None:
        self.ensure_open_for_changes()
        if self.status not in ACTIVE:
            raise InvalidTransitionError(f"request is {self.status}; it cannot be {step}")
        ensure_not_future(occurred_on, today)
        if occurred_on < self.occurred_on:
            raise DateOrderError(
                f"a request cannot be {step} before it was opened ({self.occurred_on})",
                field="occurred_on",
            )

    def start_progress(self, *, occurred_on: date, today: date, recorded_by: str, structure: str) -> None:
        if self.status == RequestStatus.IN_PROGRESS.value:
            raise InvalidTransitionError("request is in progress already")
        self._step(occurred_on, today, "in progress")
        self._progress_started(occurred_on=occurred_on, recorded_by=recorded_by, structure=structure)

    @event("ProgressStarted")
    def _progress_started(self, *, occurred_on: date, recorded_by: str, structure: str) -> None:
        self.status = RequestStatus.IN_PROGRESS.value
        self.last_step_on = occurred_on
        self.steps += 1

    def resolve(self, *, occurred_on: date, today: date, recorded_by: str, structure: str, sealed: str | None) -> None:
        self._step(occurred_on, today, "resolved")
        self._closed(
            status=RequestStatus.RESOLVED.value,
            occurred_on=occurred_on,
            recorded_by=recorded_by,
            structure=structure,
            sealed_note=sealed,
        )

    def close_unresolved(
        self, *, occurred_on: date, today: date, recorded_by: str, structure: str, sealed: str | None
    ) -> None:
        self._step(occurred_on, today, "closed")
        self._closed(
            status=RequestStatus.CLOSED_UNRESOLVED.value,
            occurred_on=occurred_on,
            recorded_by=recorded_by,
            structure=structure,
            sealed_note=sealed,
        )

    def withdraw(self, *, occurred_on: date, today: date, recorded_by: str, structure: str, sealed: str | None) -> None:
        self._step(occurred_on, today, "withdrawn")
        self._closed(
            status=RequestStatus.WITHDRAWN.value,
            occurred_on=occurred_on,
            recorded_by=recorded_by,
            structure=structure,
            sealed_note=sealed,
        )

    @event("Closed")
    def _closed(
        self, *, status: str, occurred_on: date, recorded_by: str, structure: str, sealed_note: str | None
    ) -> None:
        self.status = status
        self.closed_on = occurred_on
        self.last_step_on = occurred_on
        self.steps += 1

    def reopen(
        self, *, occurred_on: date, today: date, recorded_by: str, structure: str, sealed_reason: str | None
    ) -> None:
        """Open a closed request again (the agency reconsidered, the person came back on it): a new step,
        never an undoing of the closure, which stays in the history. The reason is required."""
        self.ensure_open_for_changes()
        if self.status in ACTIVE:
            raise InvalidTransitionError(f"request is {self.status}; only a closed request can be reopened")
        if sealed_reason is None:
            raise InvalidValueError("a request is reopened for a reason", field="reason")
        ensure_not_future(occurred_on, today)
        if self.closed_on is not None and occurred_on < self.closed_on:
            raise DateOrderError(
                f"a request cannot be reopened before it was closed ({self.closed_on})", field="occurred_on"
            )
        self._reopened(
            occurred_on=occurred_on, recorded_by=recorded_by, structure=structure, sealed_reason=sealed_reason
        )

    @event("Reopened")
    def _reopened(self, *, occurred_on: date, recorded_by: str, structure: str, sealed_reason: str | None) -> None:
        self.status = RequestStatus.IN_PROGRESS.value
        self.closed_on = None
        self.last_step_on = occurred_on
        self.steps += 1

    def record_agency_status(
        self,
        *,
        agency: Agency,
        reference: str | None,
        status: AgencyApplicationStatus,
        occurred_on: date,
        today: date,
        recorded_by: str,
        structure: str,
    ) -> None:
        """The other agency's reference (protocol number) and its status, as staff last saw it."""
        self.ensure_open_for_changes()
        ensure_not_future(occurred_on, today)
        if occurred_on < self.occurred_on:
            raise DateOrderError("agency status cannot predate the request", field="occurred_on")
        self._agency_status_recorded(
            agency=agency.value,
            reference=reference,
            status=status.value,
            occurred_on=occurred_on,
            recorded_by=recorded_by,
            structure=structure,
        )

    @event("AgencyStatusRecorded")
    def _agency_status_recorded(
        self, *, agency: str, reference: str | None, status: str, occurred_on: date, recorded_by: str, structure: str
    ) -> None:
        self.agency = agency
        if reference is not None:
            self.agency_reference = reference
        self.agency_status = status
        self.last_step_on = max(self.last_step_on, occurred_on)
        self.steps += 1

    def check_amendment(self, changes: dict[str, Any]) -> None:
        opened = changes.get("occurred_on")
        if opened is not None and self.steps and opened > self.last_step_on:
            raise DateOrderError(
                "the opening date cannot move after a later step of the request", field="changes.occurred_on"
            )
