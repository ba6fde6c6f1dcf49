"""Activities: sessions, networking meetings, visits to agencies, events, volunteer registrations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEvent, event

from domain.catalogue import ActivityKind
from domain.entries import CaseEntry, ensure_not_future
from domain.errors import InvalidValueError
from domain.requests import Seal

if TYPE_CHECKING:
    from domain.beneficiaries import Beneficiary

INDIVIDUAL = frozenset({ActivityKind.COUNSELLING_SESSION.value, ActivityKind.PSYCHOSOCIAL_SESSION.value})


def check_activity_shape(kind: str, beneficiary_ids: list[UUID], participants: int, event_type: str | None) -> None:
    """Sessions name who attended; events say what kind of event; counts cover named people."""
    if kind in INDIVIDUAL and not beneficiary_ids:
        raise InvalidValueError("a session names at least one beneficiary", field="beneficiary_ids")
    if participants < len(beneficiary_ids):
        raise InvalidValueError("participants cannot be fewer than the beneficiaries named", field="participants")
    if (kind == ActivityKind.COMMUNITY_EVENT.value) != (event_type is not None):
        raise InvalidValueError("event_type is given for community events and only for them", field="event_type")


class Activity(CaseEntry):
    KIND: ClassVar[str] = "activity"
    AMENDABLE: ClassVar[tuple[str, ...]] = ("occurred_on", "participants", "beneficiary_ids", "event_type", "agency")

    # The event classes @event makes, declared for the type checker (which cannot see them).
    if TYPE_CHECKING:
        Recorded: ClassVar[type[DomainEvent]]

    @event("Recorded")
    def __init__(
        self,
        *,
        id: UUID,
        kind: str,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        beneficiary_ids: list[UUID],
        participants: int,
        event_type: str | None,
        agency: str | None,
        sealed: str | None,
        # The municipality's own activity kind, mapped to ``kind`` (issue 23); absent from older events.
        local_kind: str | None = None,
    ) -> None:
        self.kind = kind
        self.local_kind = local_kind
        self.occurred_on = occurred_on
        self.structure = structure
        self.recorded_by = recorded_by
        self.beneficiary_ids = list(beneficiary_ids)
        self.participants = participants
        self.event_type = event_type
        self.agency = agency
        self.sealed = sealed
        self.voided = False
        self.corrections = 0

    @classmethod
    def record(
        cls,
        *,
        id: UUID,
        kind: str,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        beneficiaries: Iterable[Beneficiary],
        participants: int,
        event_type: str | None,
        agency: str | None,
        today: date,
        seal: Seal,
        local_kind: str | None = None,
    ) -> Activity:
        """An activity not in the future, whose named people are active and registered by its day; it
        counts at least the people it names, and has the shape its kind needs. ``beneficiaries`` may be
        loaded lazily: each is checked as it comes."""
        ensure_not_future(occurred_on, today)
        named: list[UUID] = []
        for beneficiary in beneficiaries:
            beneficiary.ensure_active()
            beneficiary.ensure_after_intake(occurred_on)
            named.append(beneficiary.id)
        participants = max(participants, len(named))
        check_activity_shape(kind, named, participants, event_type)
        return cls(
            id=id,
            kind=kind,
            occurred_on=occurred_on,
            structure=structure,
            recorded_by=recorded_by,
            beneficiary_ids=named,
            participants=participants,
            event_type=event_type,
            agency=agency,
            sealed=seal(named[0] if len(named) == 1 else id),  # whose key: see subject_id
            local_kind=local_kind,
        )

    @property
    def subject_id(self) -> UUID:
        # Notes about one person's session die with that person's key; other notes with the entry's.
        return self.beneficiary_ids[0] if len(self.beneficiary_ids) == 1 else self.id

    def check_amendment(self, changes: dict[str, Any]) -> None:
        check_activity_shape(
            self.kind,
            changes.get("beneficiary_ids", self.beneficiary_ids),
            changes.get("participants", self.participants),
            changes.get("event_type", self.event_type),
        )
