"""A large batch of events saved by one binary COPY instead of the library's INSERT of composites.

The library saves events by dumping each as a composite value of an array (``unnest(%s::stored_event[])``),
which psycopg does in Python: about a tenth of a millisecond per event, most of an import's cost on
PostgreSQL once the rest is batched. A binary ``COPY`` of the same four columns costs a tenth of that.
Everything else is the library's own: the same connection and transaction (the tenant's role, taken
by ``infra/pg_pool.py``), its ``LOCK TABLE ... IN EXCLUSIVE MODE`` first (so notification ids are
given in commit order, as the library's readers expect), its ``NOTIFY``, the same table and columns,
the same unique key (a conflicting version raises the library's ``IntegrityError`` and nothing of the
batch is written), and the notification ids returned in the order the events were given.

A batch of fewer than ``COPY_FROM`` events (every live command) goes through the library unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

COPY_FROM = 64  # events: fewer go as the library's one INSERT


class CopyingRecorder(PostgresApplicationRecorder):
    """The library's recorder, saving a batch of ``COPY_FROM`` events or more with one binary COPY."""

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if len(stored_events) < COPY_FROM:
            inserted: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return inserted
        table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)  # before the last id is read: no one else inserts until this commits
            self._notify_channel(curs)
            curs.execute(SQL("SELECT COALESCE(MAX(notification_id), 0) AS last FROM {}").format(table))
            row = curs.fetchone()
            last = int(row["last"]) if row else 0
            columns = "(originator_id, originator_version, topic, state)"
            with curs.copy(SQL("COPY {} " + columns + " FROM STDIN (FORMAT BINARY)").format(table)) as copy:
                copy.set_types([self.datastore.originator_id_type, "int8", "text", "bytea"])
                for event in stored_events:
                    copy.write_row((event.originator_id, event.originator_version, event.topic, event.state))
            # The table is locked: the ids after the last one are this batch's, given in the COPY's order.
            curs.execute(
                SQL("SELECT notification_id FROM {} WHERE notification_id > %s ORDER BY notification_id").format(table),
                (last,),
            )
            ids = [int(found["notification_id"]) for found in curs.fetchall()]
            if len(ids) != len(stored_events):  # not possible under the lock; if it were, nothing is kept
                raise ProgrammingError(f"copied {len(stored_events)} events but found {len(ids)} new notification ids")
        return ids
