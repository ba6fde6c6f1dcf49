"""The casework views of one tenant, following its log from a tracked position.

All views are written with the new position in one transaction, so a crash between batches never
counts twice or skips; a second follower racing on the same batch rolls back and carries on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.undecodable import decodable
from projections.fold import Batched, SealedData, apply, folds, preload_batch
from projections.household_fold import HOUSEHOLD_TABLES
from projections.reading import ViewReader
from projections.summary import STALE, derive_if_stale, is_stale, mark_stale, refresh
from projections.tables import (
    SUMMARY_TABLES,
    case_index,
    contacts,
    household_members,
    operation_entries,
    operation_exits,
    people,
    positions,
    responsibility,
)

VIEW = "casework_views"
# issue 24: how many times the views were folded from empty (a rebuild, a migration that emptied them): the
# position's row is born again each time, and this count with it, so an answer kept for a position
# (services/answers.py) is never taken for the same position reached again over a different fold.
GENERATION = "casework_views:generation"
BATCH = 5000  # log events folded per transaction: larger amortises the commit, the lock and the key fetch
MAX_COLLISIONS = 100  # folds that lost a race in one catch-up before it gives up and says so


class _MovedMeanwhileError(Exception):
    pass


class CaseworkViews(ViewReader):
    rewritten = (household_members,)  # by ``compact_views`` after an erasure (issue 23)

    def __init__(
        self,
        app: Application[UUID],
        engine: Engine,
        schema: str | None,
        sealed: SealedData,
    ) -> None:
        self.app = app
        self.engine = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
        self.sealed = sealed
        self.skipped = 0  # rows of the log that did not decode, since this process began

    def position(self) -> int:
        with self.engine.connect() as conn:
            row = conn.execute(select(positions.c.position).where(positions.c.view == VIEW)).first()
        return 0 if row is None else int(row[0])

    def state(self) -> tuple[int, int, bool]:
        """The position, the generation (``GENERATION``) and whether the indicators' summaries are still
        to be derived (a rebuild folded up to here but has not derived them yet: ``summary.STALE``), in
        one read. Until they are, the summaries are not the views' at this position."""
        with self.engine.connect() as conn:
            rows = dict(
                conn.execute(
                    select(positions.c.view, positions.c.position).where(
                        positions.c.view.in_((VIEW, GENERATION, STALE))
                    )
                ).all()
            )
        return int(rows.get(VIEW, 0)), int(rows.get(GENERATION, 0)), STALE in rows

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def lag(self) -> dict[str, Any]:
        """How far the views are behind the log: events, and seconds since the oldest unfolded one."""
        position, head = self.position(), self.head()
        seconds = 0.0
        if head > position:
            first = self.app.recorder.select_notifications(start=position, limit=1, inclusive_of_start=False)
            decoded = self._decoded(first)
            if decoded:
                recorded = getattr(decoded[0], "timestamp", None)
                if isinstance(recorded, datetime):
                    seconds = max(0.0, (datetime.now(UTC) - recorded).total_seconds())
        return {
            "position": position,
            "head": head,
            "events_behind": max(0, head - position),
            "seconds_behind": round(seconds, 3),
        }

    def catch_up(self, *, limit: int | None = None, on_batch: Any = None) -> int:
        """Fold what was recorded since the tracked position; returns how many events were read.

        Safe to run from many threads and processes at once: a batch is folded under a lock on the
        position, and a fold that finds the position moved (or its rows written) by another starts
        again from where that one left off.
        """
        done, collisions = 0, 0
        while limit is None or done < limit:
            start = self.position()
            notifications = self.app.recorder.select_notifications(start=start, limit=BATCH, inclusive_of_start=False)
            if limit is not None:
                notifications = notifications[: limit - done]
            if not notifications:
                break
            try:
                with self.engine.begin() as conn:
                    if self._locked_position(conn) != start:
                        raise _MovedMeanwhileError
                    if start == 0 and not is_stale(conn):
                        # Folded from empty (a new store, or a migration that emptied the rows and the
                        # position, as 0008 to 0010 do, but not the summaries, which a new fold that differs
                        # may never touch again): the summaries start empty too, then are kept batch by batch.
                        for table in SUMMARY_TABLES:
                            conn.execute(delete(table))
                    events = self._decoded(n for n in notifications if folds(n.topic))
                    preload_batch(self.sealed, events)
                    # New rows are sent together, one round trip per table. No event after the position
                    # was folded before: rows and position are written in one transaction, under the lock.
                    batched = Batched(conn)
                    for event in events:
                        apply(batched, event, self.sealed.unseal)
                    batched.flush()
                    refresh(conn, batched.touched)  # the indicators' summaries (none while a rebuild folds)
                    self._advance(conn, start, notifications[-1].id)
            except (_MovedMeanwhileError, IntegrityError, psycopg.IntegrityError):
                # another fold got there first (an IntegrityError: both began at zero; psycopg's own when the
                # rows went by COPY, projections/fold.py, which SQLAlchemy does not wrap)
                collisions += 1
                if collisions > MAX_COLLISIONS:
                    raise
                continue
            done += len(notifications)
            if on_batch is not None:
                on_batch(len(notifications))
        if limit is None or done < limit:  # caught up: a rebuild's summaries are derived once, now
            self._derive_if_stale()
        return done

    def _derive_if_stale(self) -> None:
        with self.engine.connect() as conn:
            if not is_stale(conn):
                return
        with self.engine.begin() as conn:
            self._locked_position(conn)  # no batch folds meanwhile
            derive_if_stale(conn)

    def _decoded(self, notifications: Iterable[Any]) -> list[Any]:
        """The events these rows hold; a row that does not decode (not something Kentra wrote: ``audit
        verify`` reports it as forged) is skipped and counted, so one bad row never takes the views down.
        The log line names no id and no value (the library's error message carries the originator id)."""
        events, skipped = decodable(self.app.mapper.to_domain_event, notifications, reader="views")
        self.skipped += skipped
        return events

    def _locked_position(self, conn: Connection) -> int:
        """The position, locked until this transaction ends (PostgreSQL; SQLite locks the whole file)."""
        row = conn.execute(select(positions.c.position).where(positions.c.view == VIEW).with_for_update()).first()
        return 0 if row is None else int(row[0])

    def served_days(self, beneficiary_id: UUID) -> list[date]:
        """Every day the person was served (intake, requests, referrals, visits, activities), voids left out."""
        self.catch_up()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(contacts.c.day)
                .where(contacts.c.beneficiary_id == beneficiary_id, contacts.c.voided.is_(False))
                .distinct()
            ).all()
        return sorted(row[0] for row in rows)

    def rebuild(self, *, on_batch: Any = None) -> int:
        """Empty the views and fold the whole log again."""
        with self.engine.begin() as conn:
            for table in (
                case_index,
                contacts,
                people,
                responsibility,
                operation_entries,
                operation_exits,
                *HOUSEHOLD_TABLES,
                *SUMMARY_TABLES,
            ):
                conn.execute(delete(table))
            conn.execute(delete(positions).where(positions.c.view == VIEW))
            # Derived once at the end (derive_all), faster than batch by batch; a crash before leaves the mark.
            mark_stale(conn)
        return self.catch_up(on_batch=on_batch)

    def _advance(self, conn: Connection, start: int, to: int) -> None:
        moved = conn.execute(
            update(positions).where(positions.c.view == VIEW, positions.c.position == start).values(position=to)
        ).rowcount
        if moved == 0 and start == 0:
            conn.execute(insert(positions).values(view=VIEW, position=to))
            # The views are folded from empty again: a new generation, in the same transaction.
            born = conn.execute(
                update(positions).where(positions.c.view == GENERATION).values(position=positions.c.position + 1)
            ).rowcount
            if born == 0:
                conn.execute(insert(positions).values(view=GENERATION, position=1))
        elif moved == 0:
            raise _MovedMeanwhileError
