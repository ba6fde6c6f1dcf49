"""Households (issue 23): people linked as a head and members with a relation to the head.

Two aggregates, so that *who* is in a household never stands in clear in the log:

- ``Household`` holds what is not personal: where and when it was formed, and its members as opaque
  slots (random ids), so its size is in clear. Nothing in it names a person.
- ``HouseholdMembership``, one per person (its id is derived from the person's), holds which household
  the person is in, their slot and relation, sealed under the person's own key. It is also what keeps
  a person in at most one household at a time: two joins of one person write the same aggregate's
  next version, and the store refuses the second (optimistic concurrency).

Once a person is erased their key is gone: their membership no longer opens, and the household's slot
of theirs is a random id tied to no one (the household's size still counts it, anonymously).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent, event

from domain.catalogue import CorrectionReason, Labelled
from domain.entries import CaseEntry, ensure_not_future
from domain.errors import DateOrderError, InvalidTransitionError

if TYPE_CHECKING:
    from domain.beneficiaries import Beneficiary


class HouseholdRelation(Labelled):
    """A member's relation to the household's head (national list)."""

    HEAD = ("head", "Υπεύθυνος/η νοικοκυριού", "Head of household")
    SPOUSE = ("spouse", "Σύζυγος / σύντροφος", "Spouse or partner")
    CHILD = ("child", "Τέκνο", "Child")
    PARENT = ("parent", "Γονέας", "Parent")
    SIBLING = ("sibling", "Αδελφός/ή", "Sibling")
    GRANDCHILD = ("grandchild", "Εγγονός/ή", "Grandchild")
    GRANDPARENT = ("grandparent", "Παππούς / γιαγιά", "Grandparent")
    OTHER_RELATIVE = ("other_relative", "Άλλος συγγενής", "Other relative")
    OTHER = ("other", "Άλλο", "Other")


class AlreadyInHouseholdError(InvalidTransitionError):
    """A person is in at most one household at a time: move them, or let them leave first."""

    def __init__(self, field: str = "beneficiary_id") -> None:
        super().__init__("the person is already in a household: move them instead", field=field)


class NotInHouseholdError(InvalidTransitionError):
    """The person is in no household, or not in the one named."""

    def __init__(self, field: str = "beneficiary_id") -> None:
        super().__init__("the person is not a member of this household", field=field)


class HeadMustStayError(InvalidTransitionError):
    """The head leaves only once alone, or after another member was made head."""

    def __init__(self) -> None:
        super().__init__("the head of a household with other members cannot leave: change the head first")


def membership_id(tenant_id: str, beneficiary_id: UUID) -> UUID:
    """The id of a person's membership aggregate: one per person, so one household at a time."""
    return uuid5(NAMESPACE_URL, f"kentra:{tenant_id}/household-membership/{beneficiary_id}")


class _NotCorrected(CaseEntry):
    """Households change by their own steps (join, leave, move, head); never amended or voided."""

    def amend(self, **kwargs: Any) -> None:
        raise InvalidTransitionError(f"a {self.KIND} is changed by its own steps, never amended")

    def void(
        self, *, reason: CorrectionReason, sealed_reason: str | None, today: date, recorded_by: str, structure: str
    ) -> None:
        raise InvalidTransitionError(f"a {self.KIND} is changed by its own steps, never voided")


class Household(_NotCorrected):
    KIND: ClassVar[str] = "household"

    if TYPE_CHECKING:
        Formed: ClassVar[type[DomainEvent]]
        MemberJoined: ClassVar[type[DomainEvent]]
        MemberLeft: ClassVar[type[DomainEvent]]
        HeadChanged: ClassVar[type[DomainEvent]]

    @event("Formed")
    def __init__(self, *, id: UUID, head_slot: str, occurred_on: date, structure: str, recorded_by: str) -> None:
        self.occurred_on = occurred_on
        self.structure = structure
        self.recorded_by = recorded_by
        self.head_slot = head_slot
        self.slots: list[str] = [head_slot]
        self.sealed = None
        self.voided = False
        self.corrections = 0

    @classmethod
    def form(
        cls,
        *,
        id: UUID,
        head: Beneficiary,
        head_slot: str,
        occurred_on: date,
        today: date,
        structure: str,
        recorded_by: str,
    ) -> Household:
        """A household formed with an active person as its head, on a day not before their intake."""
        head.ensure_served_on(occurred_on, today)
        return cls(id=id, head_slot=head_slot, occurred_on=occurred_on, structure=structure, recorded_by=recorded_by)

    @property
    def size(self) -> int:
        """Members now (an erased member still counts: their slot stays, tied to no one)."""
        return len(self.slots)

    def _check_day(self, day: date, today: date) -> None:
        ensure_not_future(day, today)
        if day < self.occurred_on:
            raise DateOrderError(f"date precedes the household's forming ({self.occurred_on})", field="occurred_on")

    def join(self, *, slot: str, occurred_on: date, today: date, recorded_by: str, structure: str) -> None:
        self._check_day(occurred_on, today)
        self._member_joined(slot=slot, occurred_on=occurred_on, recorded_by=recorded_by, structure=structure)

    @event("MemberJoined")
    def _member_joined(self, *, slot: str, occurred_on: date, recorded_by: str, structure: str) -> None:
        self.slots = [*self.slots, slot]

    def leave(self, *, slot: str, occurred_on: date, today: date, recorded_by: str, structure: str) -> None:
        if slot not in self.slots:
            raise NotInHouseholdError()
        if slot == self.head_slot and len(self.slots) > 1:
            raise HeadMustStayError()
        self._check_day(occurred_on, today)
        self._member_left(slot=slot, occurred_on=occurred_on, recorded_by=recorded_by, structure=structure)

    @event("MemberLeft")
    def _member_left(self, *, slot: str, occurred_on: date, recorded_by: str, structure: str) -> None:
        self.slots = [s for s in self.slots if s != slot]

    def change_head(self, *, slot: str, occurred_on: date, today: date, recorded_by: str, structure: str) -> None:
        if slot not in self.slots:
            raise NotInHouseholdError()
        if slot == self.head_slot:
            raise InvalidTransitionError("this member is the head already")
        self._check_day(occurred_on, today)
        self._head_changed(slot=slot, occurred_on=occurred_on, recorded_by=recorded_by, structure=structure)

    @event("HeadChanged")
    def _head_changed(self, *, slot: str, occurred_on: date, recorded_by: str, structure: str) -> None:
        self.head_slot = slot


class HouseholdMembership(_NotCorrected):
    """Which household one person is in now: ``sealed`` opens (with the person's key) to
    ``{"household_id", "slot", "relation"}``; None when they are in none."""

    KIND: ClassVar[str] = "household_membership"

    if TYPE_CHECKING:
        Started: ClassVar[type[DomainEvent]]
        Joined: ClassVar[type[DomainEvent]]
        Left: ClassVar[type[DomainEvent]]
        RelationChanged: ClassVar[type[DomainEvent]]

    @event("Started")
    def __init__(self, *, id: UUID, beneficiary_id: UUID, occurred_on: date, structure: str, recorded_by: str) -> None:
        self.beneficiary_id = beneficiary_id
        self.occurred_on = occurred_on
        self.structure = structure
        self.recorded_by = recorded_by
        self.sealed = None
        self.voided = False
        self.corrections = 0
        self.member = False

    @property
    def subject_id(self) -> UUID:
        return self.beneficiary_id

    def join(self, *, sealed: str, occurred_on: date, recorded_by: str, structure: str) -> None:
        if self.member:
            raise AlreadyInHouseholdError()
        self._joined(sealed=sealed, occurred_on=occurred_on, recorded_by=recorded_by, structure=structure)

    @event("Joined")
    def _joined(self, *, sealed: str, occurred_on: date, recorded_by: str, structure: str) -> None:
        self.sealed = sealed
        self.member = True

    def leave(self, *, sealed: str, occurred_on: date, recorded_by: str, structure: str) -> None:
        """``sealed``: which household they leave, under their key (so that the views can tell whose row goes)."""
        if not self.member:
            raise NotInHouseholdError()
        self._left(sealed=sealed, occurred_on=occurred_on, recorded_by=recorded_by, structure=structure)

    @event("Left")
    def _left(self, *, sealed: str, occurred_on: date, recorded_by: str, structure: str) -> None:
        self.sealed = None
        self.member = False

    def change_relation(self, *, sealed: str, occurred_on: date, recorded_by: str, structure: str) -> None:
        if not self.member:
            raise NotInHouseholdError()
        self._relation_changed(sealed=sealed, occurred_on=occurred_on, recorded_by=recorded_by, structure=structure)

    @event("RelationChanged")
    def _relation_changed(self, *, sealed: str, occurred_on: date, recorded_by: str, structure: str) -> None:
        self.sealed = sealed
