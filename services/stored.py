"""Reading many aggregates at once: the generic reader (one select per id) and the fold.

A batch of 500 imported rows, each naming a person, would make 500 round trips just to load them
with ``Repository.get``. The SQL that reads them in one query per 500 ids is the infrastructure's
(``infra/stored_events.py``, behind the ``StoredEvents`` port); this module holds what works on any
recorder, the library's in-memory one included, so a service can be tested without a database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent


class EachStoredEvents:
    """``StoredEvents`` on any recorder: one select per id, as ``Repository.get`` does."""

    def __init__(self, recorder: AggregateRecorder) -> None:
        self.recorder = recorder

    def stored_events_of(self, ids: Collection[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Each id's stored events in version order; ids with none are left out."""
        return by_originator(event for i in dict.fromkeys(ids) for event in self.recorder.select_events(i))

    def transaction(self) -> AbstractContextManager[None]:
        """Each read and the save go as they would alone (the library's in-memory store has nothing to share)."""
        return nullcontext()


def by_originator(events: Iterable[StoredEvent]) -> dict[UUID, list[StoredEvent]]:
    """Stored events grouped by their aggregate's id, in the order given."""
    found: dict[UUID, list[StoredEvent]] = defaultdict(list)
    for event in events:
        key = event.originator_id if isinstance(event.originator_id, UUID) else UUID(str(event.originator_id))
        found[key].append(event)
    return dict(found)


def fold(aggregate: Any, domain_events: Iterable[Any]) -> Any:
    """The library's ``project_aggregate`` without its per-event ``isinstance`` against a runtime
    protocol, which costs more than the fold itself (Python 3.11's protocol checks are slow)."""
    for domain_event in domain_events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate
