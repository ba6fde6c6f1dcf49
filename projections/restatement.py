"""What an auditor reads from a replay: a cell's events (drill-down), and what changed since a day.

Events are named by their position in the log (what ``audit export`` and ``audit verify`` name
too), the entry they belong to, the version and type, and when they were recorded and happened.
An entry that is a person (a beneficiary's intake) is shown by a pseudonym unless the caller may
see personal data: ``name`` decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from domain.clock import as_utc
from projections.cells import Member, figure, flatten, members
from projections.queries import indicators
from projections.replay import Replay, end_of_day, replay_log
from projections.tables import case_index

NameEntry = Callable[[UUID, bool], str]  # (entry id, is a person) -> how the caller may see it
CHUNK = 500


def _rows(conn: Connection, ids: list[UUID], after: datetime | None) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        query = select(replay_log, case_index.c.structure.label("entry_structure")).outerjoin(
            case_index, case_index.c.entry_id == replay_log.c.originator_id
        )
        query = query.where(replay_log.c.originator_id.in_(ids[start : start + CHUNK]))
        if after is not None:
            query = query.where(replay_log.c.recorded_at > after.astimezone(UTC).replace(tzinfo=None))
        rows.extend(conn.execute(query).all())
    rows.sort(key=lambda r: r.position)
    return rows


def events_behind(
    conn: Connection, found: Iterable[Member], name: NameEntry, *, after: datetime | None = None, limit: int = 1000
) -> tuple[list[dict[str, Any]], int]:
    """The log events of the entries and people behind a figure (recorded after ``after``, if given)."""
    found = list(found)
    people = {m.beneficiary_id for m in found if m.beneficiary_id is not None}
    ids = sorted(people | {m.entry_id for m in found})
    rows = _rows(conn, ids, after)
    return [
        {
            "position": r.position,
            "entry": name(r.originator_id, r.originator_id in people),
            "version": r.version,
            "event": r.event,
            "recorded_at": as_utc(r.recorded_at).isoformat(),
            "occurred_on": r.occurred_on.isoformat() if r.occurred_on else None,
            "structure": r.structure or r.entry_structure,
        }
        for r in rows[:limit]
    ], len(rows)


def drilldown(
    conn: Connection,
    cell: str,
    start: date,
    end: date,
    *,
    structure: str | None,
    name: NameEntry,
    limit: int = 1000,
) -> dict[str, Any]:
    """A cell's figure, the entries and people it counts, and every event behind them."""
    found = members(conn, cell, start, end, structure)
    events, total = events_behind(conn, found, name, limit=limit)
    people = {m.beneficiary_id for m in found if m.beneficiary_id is not None}
    return {
        "cell": cell,
        "value": figure(cell, found),
        "entries": [name(e, e in people) for e in sorted({m.entry_id for m in found})],
        "people": [name(p, True) for p in sorted(people)],
        "events_total": total,
        "events": events,
    }


def restatement(
    replayed: Replay, start: date, end: date, *, structure: str | None, name: NameEntry, limit: int = 100
) -> dict[str, Any]:
    """Each figure that differs between "recorded by as_of" and "as known now", and the events that did it.

    The events listed for a changed figure are those recorded after the as_of day that belong to an
    entry or person behind the figure, then or now: late entries, corrections and voids.
    """
    cutoff = end_of_day(replayed.as_of_day)
    with replayed.as_of.connect() as then, replayed.now.connect() as now:
        reported = flatten(indicators(then, start, end, structure))
        current = flatten(indicators(now, start, end, structure))
        changes = []
        for cell in sorted(set(reported) | set(current)):
            before, after = reported.get(cell, 0), current.get(cell, 0)
            if before == after:
                continue
            behind = [*members(then, cell, start, end, structure), *members(now, cell, start, end, structure)]
            events, total = events_behind(now, behind, name, after=cutoff, limit=limit)
            changes.append(
                {
                    "cell": cell,
                    "as_reported": before,
                    "now": after,
                    "difference": after - before,
                    "events_total": total,
                    "events": events,
                }
            )
    return {
        "as_of": replayed.as_of_day.isoformat(),
        "recorded_by": cutoff.isoformat(),
        "events_recorded_by_then": replayed.as_of.events,
        "events_recorded_since": replayed.now.events - replayed.as_of.events,
        "cells_compared": len(set(reported) | set(current)),
        "changes": changes,
    }
