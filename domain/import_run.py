"""An import of historical records: which file, its checksum, what it did, and the log positions it
recorded (its events are those recorded by ``import`` in that range)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate, DomainEvent, event


class ImportRun(Aggregate):
    # The event classes @event makes, declared for the type checker (which cannot see them).
    if TYPE_CHECKING:
        Completed: ClassVar[type[DomainEvent]]

    @event("Completed")
    def __init__(
        self,
        *,
        source: str,
        checksum: str,
        kind: str,
        counts: dict[str, Any],
        positions: list[int],
        recorded_by: str,
    ) -> None:
        self.source = source
        self.positions = positions
        self.checksum = checksum
        self.kind = kind
        self.counts = counts
        self.recorded_by = recorded_by
