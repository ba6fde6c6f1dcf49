"""Many aggregates' stored events in one query, for a batch of commands that touches many entries.

The library reads one aggregate per query (``Repository.get``). A batch of 500 imported rows, each
naming a person, would make 500 round trips just to load them; this makes one per 500 ids. It reads
the library's own table through the library's own connection, with the statement the library uses
for one aggregate widened to many, and decodes with the application's mapper, so what it returns is
what ``Repository.get`` would have returned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

CHUNK = 500


def stored_events_of(recorder: AggregateRecorder, ids: Collection[UUID]) -> dict[UUID, list[StoredEvent]]:
    """Each id's stored events in version order; ids with none are left out."""
    found: dict[UUID, list[StoredEvent]] = defaultdict(list)
    wanted = list(dict.fromkeys(ids))
    for start in range(0, len(wanted), CHUNK):
        for event in _select(recorder, wanted[start : start + CHUNK]):
            key = event.originator_id if isinstance(event.originator_id, UUID) else UUID(str(event.originator_id))
            found[key].append(event)
    return dict(found)


def fold(aggregate: Any, domain_events: Iterable[Any]) -> Any:
    """The library's ``project_aggregate`` without its per-event ``isinstance`` against a runtime
    protocol, which costs more than the fold itself (Python 3.11's protocol checks are slow)."""
    for domain_event in domain_events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate


def _select(recorder: AggregateRecorder, ids: list[UUID]) -> list[StoredEvent]:
    if isinstance(recorder, PostgresAggregateRecorder):
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table}"
            " WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name))
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(statement, (ids,))
            return [_stored(row, row["originator_id"], bytes(row["state"])) for row in cursor.fetchall()]
    if isinstance(recorder, SQLiteAggregateRecorder):
        marks = ",".join("?" * len(ids))
        query = (
            "SELECT originator_id, originator_version, topic, state FROM "  # noqa: S608 - the library's table name, ids bound
            f"{recorder.events_table_name} WHERE originator_id IN ({marks}) ORDER BY originator_id, originator_version"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, [i.hex for i in ids])
            return [
                _stored(row, recorder.convert_originator_id(row["originator_id"]), row["state"])
                for row in cursor.fetchall()
            ]
    # Any other recorder (the library's in-memory one): one query per id, as Repository.get does.
    return [event for i in ids for event in recorder.select_events(i)]


def _stored(row: Any, originator_id: UUID | str, state: bytes) -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id, originator_version=row["originator_version"], topic=row["topic"], state=state
    )
