"""Audit replay: a tenant's read models rebuilt from the raw log, in memory, as known at a moment.

Nothing here reads the live views: the auditor's figures come from the events themselves, folded by
the same code (``projections.fold``) into a private in-memory database. One pass over the log fills
two such databases at once: *now* (every event recorded so far) and *as of* (only events recorded by
the end of the ``as_of`` day, Athens time). The ``occurred`` basis reads the first; the ``recorded``
basis, which reproduces a figure as it could have been reported that day, reads the second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

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

from domain.beneficiaries import Beneficiary
from domain.clock import ATHENS
from domain.events import event_name, published_topic
from domain.undecodable import decodable
from projections.esf_fold import ESF_FOLDED
from projections.fold import Batched, SealedData, Unseal, apply, preload_batch
from projections.household_fold import HOUSEHOLD_TABLES
from projections.reading import ViewReader
from projections.summary import Touched, derive_all
from projections.tables import (
    SUMMARY_TABLES,
    case_index,
    contacts,
    operation_entries,
    operation_exits,
    people,
    positions,
)

BATCH = 2000
# Besides the published events, the internal ones that change a figure: ESF participation (issue 21).
# Not CaseAssigned: who answers for a person now changes no figure (``people`` keeps the structure at entry).
_ESF_NAMES = frozenset(event_name(cls) for cls in ESF_FOLDED)


def replayed_topic(topic: str) -> bool:
    """Whether the replay folds a stored row of this topic ("module:Qual.Name"), without decoding it."""
    return published_topic(topic) or topic.partition(":")[2] in _ESF_NAMES


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
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}, hide_parameters=True
    )
    # The households' tables too (issue 23): an erasure's fold deletes the person's household row, none here.
    for table in (
        case_index,
        contacts,
        people,
        positions,
        operation_entries,
        operation_exits,
        *HOUSEHOLD_TABLES,
        *SUMMARY_TABLES,
    ):
        table.create(engine)
    replay_metadata.create_all(engine)
    return engine


@dataclass
class Replayed(ViewReader):
    """The views as of one moment, in memory, with the log rows behind them (``read`` asks a query)."""

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


def _batches(app: Application[UUID]) -> Iterator[Sequence[Any]]:
    after = 0
    while batch := app.recorder.select_notifications(start=after, limit=BATCH, inclusive_of_start=False):
        yield batch
        after = batch[-1].id


def _copy(engine: Engine) -> Engine:
    """A second in-memory database with the same content (SQLite's online backup)."""
    copy = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}, hide_parameters=True
    )
    source, target = engine.raw_connection(), copy.raw_connection()
    try:
        source.driver_connection.backup(target.driver_connection)  # type: ignore[union-attr]
    finally:
        source.close()
        target.close()
    return copy


class _Fold:
    """One in-memory database being filled, a batch of log rows per transaction (new rows sent
    together, as the live views' catch-up sends them)."""

    def __init__(self, replayed: Replayed, unseal: Unseal) -> None:
        self.replayed = replayed
        self.unseal = unseal
        self.conn = replayed.engine.connect()
        self.transaction = self.conn.begin()
        self.batched = Batched(self.conn)  # a fresh database: nothing folded before
        self.rows: list[dict[str, Any]] = []

    def apply(self, event: Any, row: dict[str, Any]) -> None:
        apply(self.batched, event, self.unseal)
        self.rows.append(row)
        self.replayed.events += 1
        self.replayed.position = row["position"]
        if len(self.rows) >= BATCH:
            self.commit(reopen=True)

    def commit(self, *, reopen: bool) -> None:
        self.batched.flush()
        self.batched.touched = Touched()  # summaries are derived once, at the end (below)
        if not reopen:
            derive_all(self.conn)
        if self.rows:
            self.conn.execute(insert(replay_log), self.rows)
            self.rows.clear()
        self.transaction.commit()
        if reopen:
            self.transaction = self.conn.begin()
        else:
            self.conn.close()


def replay(
    app: Application[UUID],
    sealed: SealedData,
    as_of: date,
    *,
    on_batch: Callable[[int], None] | None = None,
    until_position: int | None = None,
) -> Replay:
    """Fold the tenant's whole log into in-memory databases (see the module's text).

    Until the first event recorded after the ``as_of`` day, both bases are the same database; at
    that event it is copied, and from there each event goes where it belongs. A log whose events
    were all recorded by then is folded once. With ``until_position``, the *as of* basis holds the
    events up to that log position instead (what an ESF submission's figures were computed at).
    """
    cutoff = end_of_day(as_of)
    then = _Fold(Replayed(_memory_views()), sealed.unseal)
    now: _Fold | None = None
    head = 0
    try:
        for batch in _batches(app):
            head = batch[-1].id
            events, _ = decodable(
                lambda stored: (stored.id, app.mapper.to_domain_event(stored)),
                # Only published events and ESF participation can change a figure (domain/events.py):
                # the others (command records, personal-data reads, audit queries) are skipped by
                # topic, before the costly decoding; more than half of a log is command records.
                (stored for stored in batch if replayed_topic(stored.topic)),
                reader="replay",
            )
            preload_batch(sealed, (e for _, e in events))
            for position, event in events:
                recorded_at: datetime = getattr(event, "timestamp")  # noqa: B009 - every Kentra event has one
                row = {
                    "position": position,
                    "originator_id": event.originator_id,
                    "version": event.originator_version,
                    "event": type(event).__qualname__,
                    "recorded_at": recorded_at,
                    "occurred_on": getattr(event, "occurred_on", None),
                    "structure": getattr(event, "structure", None),
                }
                # Not "stop at the first late event": the log is in recording order only per aggregate.
                late = recorded_at > cutoff if until_position is None else position > until_position
                if late and now is None:
                    then.commit(reopen=True)
                    copied = Replayed(_copy(then.replayed.engine), then.replayed.events, then.replayed.position)
                    now = _Fold(copied, sealed.unseal)
                if not late:
                    then.apply(event, row)
                elif until_position is not None and type(event) is Beneficiary.Erased:
                    # The ESF answers an erasure keeps for the statistics were known at the position, and
                    # the person's key that sealed them then is gone: the basis at the position takes them
                    # too, so a submission's figures replay as computed (the erasure is not counted there).
                    apply(then.batched, event, then.unseal)
                if now is not None:
                    now.apply(event, row)
            if on_batch is not None:
                on_batch(len(batch))
    finally:
        then.commit(reopen=False)
        if now is not None:
            now.commit(reopen=False)
    return Replay(now.replayed if now else then.replayed, then.replayed, as_of, head)
