"""A referral (παραπομπή) of a beneficiary to another agency: sent, accepted or declined, outcome."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEvent, event

from domain.catalogue import ReferralOutcome, ReferralStatus
from domain.entries import CaseEntry, ensure_not_future
from domain.errors import DateOrderError, InvalidTransitionError, InvalidValueError
from domain.requests import CaseRequest, Seal

if TYPE_CHECKING:
    from domain.beneficiaries import Beneficiary


class OutcomeBeforeAcceptanceError(InvalidTransitionError):
    def __init__(self) -> None:
        super().__init__("a referral's outcome can only be recorded once it was accepted")


class Referral(CaseEntry):
    KIND: ClassVar[str] = "referral"
    AMENDABLE: ClassVar[tuple[str, ...]] = ("destination", "occurred_on")
    LOCAL: ClassVar[dict[str, str]] = {"destination": "local_destination"}

    # The event classes @event makes, declared for the type checker (which cannot see them).
    if TYPE_CHECKING:
        Sent: ClassVar[type[DomainEvent]]
        Answered: ClassVar[type[DomainEvent]]
        OutcomeRecorded: ClassVar[type[DomainEvent]]

    @event("Sent")
    def __init__(
        self,
        *,
        id: UUID,
        beneficiary_id: UUID,
        request_id: UUID | None,
        destination: str,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        sealed: str | None,
        # The municipality's own agency, mapped to ``destination`` (issue 23); absent from older events.
        local_destination: str | None = None,
    ) -> None:
        self.beneficiary_id = beneficiary_id
        self.request_id = request_id
        self.destination = destination
        self.local_destination = local_destination
        self.occurred_on = occurred_on
        self.structure = structure
        self.recorded_by = recorded_by
        self.sealed = sealed
        self.status = ReferralStatus.SENT.value
        self.answered_on: date | None = None
        self.outcome: str | None = None
        self.outcome_on: date | None = None
        self.voided = False
        self.corrections = 0

    @classmethod
    def send(
        cls,
        *,
        id: UUID,
        beneficiary: Beneficiary,
        request: CaseRequest | None,
        destination: str,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        today: date,
        seal: Seal,
        local_destination: str | None = None,
    ) -> Referral:
        """A referral of an active beneficiary, dated neither in the future nor before their intake,
        for one of their own requests if it names one."""
        beneficiary.ensure_served_on(occurred_on, today)
        if request is not None and request.beneficiary_id != beneficiary.id:
            raise InvalidValueError("the request belongs to another beneficiary", field="request_id")
        return cls(
            id=id,
            beneficiary_id=beneficiary.id,
            request_id=request.id if request is not None else None,
            destination=destination,
            occurred_on=occurred_on,
            structure=structure,
            recorded_by=recorded_by,
            sealed=seal(beneficiary.id),
            local_destination=local_destination,
        )

    @property
    def subject_id(self) -> UUID:
        return self.beneficiary_id

    def _check_date(self, occurred_on: date, today: date, after: date, what: str) -> None:
        self.ensure_open_for_changes()
        ensure_not_future(occurred_on, today)
        if occurred_on < after:
            raise DateOrderError(f"{what} cannot predate {after}", field="occurred_on")

    def accept(self, *, occurred_on: date, today: date, recorded_by: str, structure: str) -> None:
        if self.status != ReferralStatus.SENT.value:
            raise InvalidTransitionError(f"referral is {self.status}; only a sent referral is accepted")
        self._check_date(occurred_on, today, self.occurred_on, "acceptance")
        self._answered(
            accepted=True, occurred_on=occurred_on, recorded_by=recorded_by, structure=structure, sealed_reason=None
        )

    def decline(
        self, *, occurred_on: date, today: date, recorded_by: str, structure: str, sealed_reason: str | None
    ) -> None:
        if self.status != ReferralStatus.SENT.value:
            raise InvalidTransitionError(f"referral is {self.status}; only a sent referral is declined")
        self._check_date(occurred_on, today, self.occurred_on, "refusal")
        self._answered(
            accepted=False,
            occurred_on=occurred_on,
            recorded_by=recorded_by,
            structure=structure,
            sealed_reason=sealed_reason,
        )

    @event("Answered")
    def _answered(
        self, *, accepted: bool, occurred_on: date, recorded_by: str, structure: str, sealed_reason: str | None
    ) -> None:
        self.status = ReferralStatus.ACCEPTED.value if accepted else ReferralStatus.DECLINED.value
        self.answered_on = occurred_on

    def record_outcome(
        self,
        *,
        outcome: ReferralOutcome,
        occurred_on: date,
        today: date,
        recorded_by: str,
        structure: str,
        sealed: str | None,
    ) -> None:
        if self.status != ReferralStatus.ACCEPTED.value:
            raise OutcomeBeforeAcceptanceError
        assert self.answered_on is not None  # set with ACCEPTED
        self._check_date(occurred_on, today, self.answered_on, "an outcome")
        self._outcome_recorded(
            outcome=outcome.value,
            occurred_on=occurred_on,
            recorded_by=recorded_by,
            structure=structure,
            sealed_note=sealed,
        )

    @event("OutcomeRecorded")
    def _outcome_recorded(
        self, *, outcome: str, occurred_on: date, recorded_by: str, structure: str, sealed_note: str | None
    ) -> None:
        self.status = ReferralStatus.COMPLETED.value
        self.outcome = outcome
        self.outcome_on = occurred_on

    def check_amendment(self, changes: dict[str, Any]) -> None:
        sent = changes.get("occurred_on")
        if sent is not None and self.answered_on is not None and sent > self.answered_on:
            raise DateOrderError("a referral cannot be sent after it was answered", field="changes.occurred_on")
