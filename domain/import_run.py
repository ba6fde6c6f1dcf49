"""An import of historical records: which file, its checksum, what it did, and the log positions it
recorded (its events are those recorded by ``import`` in that range)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event


class ImportRun(Aggregate):
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
