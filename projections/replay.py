"""Audit replay: a tenant's read models rebuilt from the raw log, in memory, as known at a moment.

Nothing here reads the live views: the auditor's figures come from the events themselves, folded by
the same code (``projections.fold``) into a private in-memory database. One pass over the log fills
two such databases at once: *now* (every event recorded so far) and *as of* (only events recorded by
the end of the ``as_of`` day, Athens time). The ``occurred`` basis reads the first; the ``recorded``
basis, which reproduces a figure as it could have been reported that day, reads the second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import Application
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    create_engine,
    insert,
)
from sqlalchemy.pool import StaticPool

from projections.fold import Unseal, apply
from projections.tables import case_index, contacts, people, positions

ATHENS = ZoneInfo("Europe/Athens")
BATCH = 2000

# Which event of the log each replayed row came from: what a drill-down points at.
replay_metadata = MetaData()
replay_log = Table(
    "replay_log",
    replay_metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("originator_id", Uuid, nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("event", String(60), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("occurred_on", Date),
    Column("structure", String(40)),
)


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in Athens: what "recorded by that day" means."""
    return datetime.combine(day + timedelta(days=1), time(), ATHENS) - timedelta(microseconds=1)


def _memory_views() -> Engine:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    for table in (case_index, contacts, people, positions):
        table.create(engine)
    replay_metadata.create_all(engine)
    return engine


@dataclass
class Replayed:
    """The views as of one moment, in memory, with the log rows behind them."""

    engine: Engine
    events: int = 0
    position: int = 0

    def connect(self) -> Connection:
        return self.engine.connect()

    def close(self) -> None:
        self.engine.dispose()


@dataclass
class Replay:
    """Both bases from one pass: ``now`` (occurred, as known now) and ``as_of`` (recorded by then)."""

    now: Replayed
    as_of: Replayed
    as_of_day: date
    head: int

    def basis(self, name: str) -> Replayed:
        return self.as_of if name == "recorded" else self.now

    def close(self) -> None:
        self.now.close()
        self.as_of.close()


def _stored(app: Application[UUID]) -> Iterator[Any]:
    after = 0
    while batch := app.recorder.select_notifications(start=after, limit=BATCH, inclusive_of_start=False):
        yield from batch
        after = batch[-1].id


def replay(
    app: Application[UUID],
    unseal: Unseal,
    as_of: date,
    *,
    on_batch: Callable[[int], None] | None = None,
) -> Replay:
    """Fold the tenant's whole log into two fresh in-memory databases (see the module's text)."""
    cutoff = end_of_day(as_of)
    now, then = Replayed(_memory_views()), Replayed(_memory_views())
    with now.engine.begin() as now_conn, then.engine.begin() as then_conn:
        rows: list[dict[str, Any]] = []
        early: list[dict[str, Any]] = []
        for stored in _stored(app):
            event = app.mapper.to_domain_event(stored)
            recorded_at: datetime = getattr(event, "timestamp")  # noqa: B009 - every Kentra event has one
            row = {
                "position": stored.id,
                "originator_id": event.originator_id,
                "version": event.originator_version,
                "event": type(event).__qualname__,
                "recorded_at": recorded_at,
                "occurred_on": getattr(event, "occurred_on", None),
                "structure": getattr(event, "structure", None),
            }
            apply(now_conn, event, unseal)
            rows.append(row)
            now.events, now.position = now.events + 1, stored.id
            # Not a break: the log is in recording order, but only per aggregate to the microsecond.
            if recorded_at <= cutoff:
                apply(then_conn, event, unseal)
                early.append(row)
                then.events, then.position = then.events + 1, stored.id
            if len(rows) >= BATCH:
                _flush(now_conn, rows, then_conn, early, on_batch)
        _flush(now_conn, rows, then_conn, early, on_batch)
    return Replay(now, then, as_of, now.position)


def _flush(
    now_conn: Connection,
    rows: list[dict[str, Any]],
    then_conn: Connection,
    early: list[dict[str, Any]],
    on_batch: Callable[[int], None] | None,
) -> None:
    if rows:
        now_conn.execute(insert(replay_log), rows)
        if on_batch is not None:
            on_batch(len(rows))
    if early:
        then_conn.execute(insert(replay_log), early)
    rows.clear()
    early.clear()
