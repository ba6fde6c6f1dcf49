"""A home visit or social investigation (κοινωνική έρευνα κατ' οίκον), with findings and follow-up."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEvent, event

from domain.catalogue import HomeVisitPurpose
from domain.entries import CaseEntry, ensure_not_future
from domain.errors import DateOrderError, InvalidTransitionError, InvalidValueError
from domain.requests import Seal

if TYPE_CHECKING:
    from domain.beneficiaries import Beneficiary


def check_order(purpose: str, reference: str | None, deadline: date | None) -> None:
    """A prosecutor-ordered investigation names its order (reference and deadline); no other visit does."""
    ordered = purpose == HomeVisitPurpose.PROSECUTOR_ORDERED.value
    for value, field in ((reference, "order_reference"), (deadline, "order_deadline")):
        if ordered and value is None:
            raise InvalidValueError("a prosecutor-ordered investigation names the order and its deadline", field=field)
        if not ordered and value is not None:
            raise InvalidValueError("only a prosecutor-ordered investigation has an order", field=field)


class HomeVisit(CaseEntry):
    KIND: ClassVar[str] = "home_visit"
    AMENDABLE: ClassVar[tuple[str, ...]] = (
        "purpose",
        "occurred_on",
        "follow_up_due",
        "order_deadline",
    )
    # A prosecutor's order is the municipality's and the court's business, not the Region's. Its
    # reference identifies the person's file at the prosecutor's office: it is sealed with the findings.
    UNPUBLISHED: ClassVar[frozenset[str]] = frozenset({"order_deadline"})
    LOCAL: ClassVar[dict[str, str]] = {"purpose": "local_purpose"}

    # The event classes @event makes, declared for the type checker (which cannot see them).
    if TYPE_CHECKING:
        Conducted: ClassVar[type[DomainEvent]]
        FollowUpCompleted: ClassVar[type[DomainEvent]]

    @event("Conducted")
    def __init__(
        self,
        *,
        id: UUID,
        beneficiary_id: UUID,
        purpose: str,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        follow_up_due: date | None,
        sealed: str | None,
        # Default: visits recorded before issue 20 carry no deadline in their stored Conducted event.
        order_deadline: date | None = None,
        # The municipality's own purpose, mapped to ``purpose`` (issue 23); absent from older events.
        local_purpose: str | None = None,
    ) -> None:
        self.beneficiary_id = beneficiary_id
        self.purpose = purpose
        self.local_purpose = local_purpose
        self.occurred_on = occurred_on
        self.structure = structure
        self.recorded_by = recorded_by
        self.follow_up_due = follow_up_due
        self.order_deadline = order_deadline
        self.follow_up_done_on: date | None = None
        self.sealed = sealed
        self.voided = False
        self.corrections = 0

    @classmethod
    def conduct(
        cls,
        *,
        id: UUID,
        beneficiary: Beneficiary,
        purpose: str,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        follow_up_due: date | None,
        today: date,
        seal: Seal,
        order_reference: str | None = None,
        order_deadline: date | None = None,
        local_purpose: str | None = None,
    ) -> HomeVisit:
        """A visit to an active beneficiary, dated neither in the future nor before their intake, whose
        follow-up is not due before the visit; a social investigation a prosecutor ordered names the
        order and its deadline, and only such a one does."""
        beneficiary.ensure_served_on(occurred_on, today)
        if follow_up_due is not None and follow_up_due < occurred_on:
            raise DateOrderError("a follow-up cannot be due before the visit", field="follow_up_due")
        check_order(purpose, order_reference, order_deadline)
        return cls(
            id=id,
            beneficiary_id=beneficiary.id,
            purpose=purpose,
            occurred_on=occurred_on,
            structure=structure,
            recorded_by=recorded_by,
            follow_up_due=follow_up_due,
            sealed=seal(beneficiary.id),
            order_deadline=order_deadline,  # the reference is in ``sealed``, with the findings
            local_purpose=local_purpose,
        )

    @property
    def subject_id(self) -> UUID:
        return self.beneficiary_id

    def complete_follow_up(
        self, *, occurred_on: date, today: date, recorded_by: str, structure: str, sealed: str | None
    ) -> None:
        self.ensure_open_for_changes()
        if self.follow_up_due is None:
            raise InvalidTransitionError("this visit has no follow-up to complete")
        if self.follow_up_done_on is not None:
            raise InvalidTransitionError("the follow-up of this visit is done already")
        ensure_not_future(occurred_on, today)
        if occurred_on < self.occurred_on:
            raise DateOrderError("a follow-up cannot predate the visit", field="occurred_on")
        self._follow_up_completed(
            occurred_on=occurred_on, recorded_by=recorded_by, structure=structure, sealed_note=sealed
        )

    @event("FollowUpCompleted")
    def _follow_up_completed(
        self, *, occurred_on: date, recorded_by: str, structure: str, sealed_note: str | None
    ) -> None:
        self.follow_up_done_on = occurred_on

    def check_amendment(self, changes: dict[str, Any]) -> None:
        visited = changes.get("occurred_on", self.occurred_on)
        due = changes.get("follow_up_due", self.follow_up_due)
        if due is not None and due < visited:
            raise DateOrderError("a follow-up cannot be due before the visit", field="changes.follow_up_due")
        if self.follow_up_done_on is not None and visited > self.follow_up_done_on:
            raise DateOrderError("the visit cannot move after its follow-up", field="changes.occurred_on")
        if {"purpose", "order_deadline"} & set(changes):  # visits recorded before issue 20 lack an order
            self._check_order_amendment(
                changes.get("purpose", self.purpose), changes.get("order_deadline", self.order_deadline)
            )

    def _check_order_amendment(self, purpose: str, deadline: date | None) -> None:
        ordered = HomeVisitPurpose.PROSECUTOR_ORDERED.value
        if purpose == ordered and self.purpose != ordered:
            raise InvalidValueError(
                "a prosecutor's order is recorded with its investigation: void this visit and record that",
                field="changes.purpose",
            )
        if purpose != ordered and deadline is not None:
            raise InvalidValueError(
                "only a prosecutor-ordered investigation has a deadline", field="changes.order_deadline"
            )
        if purpose == ordered and deadline is None and self.order_deadline is not None:
            raise InvalidValueError(
                "a prosecutor-ordered investigation keeps its deadline", field="changes.order_deadline"
            )
