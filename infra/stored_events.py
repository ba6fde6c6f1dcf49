"""Many aggregates' stored events in one query per 500 ids: the ``StoredEvents`` port on SQL.

It reads the library's own table through the library's own connection, with the statement the
library uses for one aggregate widened to many, so what it returns is what ``Repository.get``
would have read. Any other recorder (the library's in-memory one) gets the generic reader.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

from infra.pg_pool import one_transaction
from services.ports import StoredEvents
from services.stored import EachStoredEvents, by_originator

CHUNK = 500


class PostgresStoredEvents:
    """``WHERE originator_id = ANY(%s)`` on the tenant's events table."""

    def __init__(self, recorder: PostgresAggregateRecorder) -> None:
        self.recorder = recorder
        self._statement: Any = None

    def stored_events_of(self, ids: Collection[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Each id's stored events in version order; ids with none are left out."""
        return by_originator(event for chunk in _chunks(ids) for event in self._select(chunk))

    def transaction(self) -> AbstractContextManager[None]:
        """On the process's shared pool: the reads and the save in one transaction (``infra/pg_pool.py``)."""
        return one_transaction(self.recorder.datastore)

    def _select(self, ids: list[UUID]) -> list[StoredEvent]:
        recorder = self.recorder
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            if self._statement is None:  # rendered once: composing it costs more than a small read
                self._statement = SQL(
                    "SELECT originator_id, originator_version, topic, state FROM {schema}.{table}"
                    " WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
                ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name))
                self._statement = self._statement.as_bytes(conn)
            cursor.execute(self._statement, (ids,))
            return [_stored(row, row["originator_id"], bytes(row["state"])) for row in cursor.fetchall()]


class SqliteStoredEvents:
    """``WHERE originator_id IN (?, ...)`` on the tenant's events file."""

    def __init__(self, recorder: SQLiteAggregateRecorder) -> None:
        self.recorder = recorder

    def stored_events_of(self, ids: Collection[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Each id's stored events in version order; ids with none are left out."""
        return by_originator(event for chunk in _chunks(ids) for event in self._select(chunk))

    def transaction(self) -> AbstractContextManager[None]:
        """Each read and the save as they go alone: SQLite's round trips are calls in this process."""
        return nullcontext()

    def _select(self, ids: list[UUID]) -> list[StoredEvent]:
        recorder = self.recorder
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


def stored_events_for(recorder: AggregateRecorder) -> StoredEvents:
    """The batch reader that fits the recorder: one query per 500 ids on SQL, one per id otherwise."""
    if isinstance(recorder, PostgresAggregateRecorder):
        return PostgresStoredEvents(recorder)
    if isinstance(recorder, SQLiteAggregateRecorder):
        return SqliteStoredEvents(recorder)
    return EachStoredEvents(recorder)


def _chunks(ids: Collection[UUID]) -> list[list[UUID]]:
    wanted = list(dict.fromkeys(ids))
    return [wanted[start : start + CHUNK] for start in range(0, len(wanted), CHUNK)]


def _stored(row: Any, originator_id: UUID | str, state: bytes) -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id, originator_version=row["originator_version"], topic=row["topic"], state=state
    )
