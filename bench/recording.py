"""Recording: commands per second through the service layer (one tenant, and four at once), against
the bare eventsourcing library saving the same stored events in as many transactions, and against
one COPY of the same rows (the physical bound)."""

from __future__ import annotations

import multiprocessing
import tempfile
from itertools import islice
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from sqlalchemy.engine import make_url

from bench.common import TODAY, Result, new_tenant_ids, peak_rss_mb, platform, service, settings, tenants_file, timed
from demo.history import DemoHistory
from infra.bootstrap import bootstrap


def _bare_recorder(schema: str) -> PostgresApplicationRecorder:
    """The library alone, on the same server, with the pool settings Kentra gives it."""
    url = make_url(service("KENTRA_TEST_DATABASE_OWNER_URL"))
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    datastore = PostgresDatastore(
        url.database or "",
        url.host or "127.0.0.1",
        url.port or 5432,
        url.username or "",
        url.password or "",
        pool_size=2,
        max_overflow=4,
        pre_ping=True,
        lock_timeout=5,
        schema=schema,
    )
    recorder = PostgresApplicationRecorder(datastore)
    recorder.create_table()
    return recorder


def _copy(schema: str, rows: list[StoredEvent]) -> float:
    url = make_url(service("KENTRA_TEST_DATABASE_OWNER_URL")).render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{schema}".copied (LIKE "{schema}".stored_events INCLUDING ALL)')

        def copy() -> None:
            with (
                conn.cursor() as cur,
                cur.copy(
                    f'COPY "{schema}".copied (originator_id, originator_version, topic, state) FROM STDIN'
                ) as writing,
            ):
                for row in rows:
                    writing.write_row((row.originator_id, row.originator_version, row.topic, row.state))

        seconds, _ = timed(copy)
    return seconds


ROUNDS = 10  # the service's commands and the bare library's inserts alternate, so load drifts hit both alike


def record(directory: str, tenants: str, tenant_id: str, count: int, start: Any = None) -> dict[str, Any]:
    """Record ``count`` commands of a realistic history and save the same stored events with the bare
    library, in ``ROUNDS`` alternating rounds: each round's commands, then the events they stored
    (with ``start``, a barrier, each phase begins when the other processes' does)."""
    kentra = bootstrap(settings(Path(directory), [tenant_id], tenants=Path(tenants)), today=lambda: TODAY)
    schema = f"bench_bare_{uuid4().hex[:10]}"
    bare = _bare_recorder(schema)
    commands = []
    stored: list[StoredEvent] = []
    service_rounds: list[float] = []
    bare_rounds: list[float] = []
    transactions = 0
    try:
        casework = kentra.casework(tenant_id)
        commands = list(islice(DemoHistory(kentra.registry.tenant(tenant_id), TODAY).commands(), count))
        size = -(-len(commands) // ROUNDS)
        for first in range(0, len(commands), size):
            chunk = commands[first : first + size]
            before = casework.recorder.max_notification_id() or 0

            def service() -> None:
                for command in chunk:  # noqa: B023 - called at once, in this round
                    casework.execute(command)

            if start is not None:
                start.wait()  # the four processes run each phase of each round together
            service_rounds.append(timed(service)[0])
            head = casework.recorder.max_notification_id() or 0
            events = [
                StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
                for n in casework.recorder.select_notifications(
                    start=before, limit=head - before, inclusive_of_start=False
                )
            ]
            # As many transactions as the service made, each of the same number of events on average.
            per_command = max(1, round(len(events) / len(chunk)))
            groups = [events[i : i + per_command] for i in range(0, len(events), per_command)]

            def library() -> None:
                for group in groups:  # noqa: B023 - called at once, in this round
                    bare.insert_events(group)

            if start is not None:
                start.wait()
            bare_rounds.append(timed(library)[0])
            transactions += len(groups)
            stored += events
    finally:
        kentra.close()
        bare.datastore.close()
    return {
        "commands": len(commands),
        "events": len(stored),
        "transactions": transactions,
        "service_seconds": sum(service_rounds),
        "bare_seconds": sum(bare_rounds),
        "service_rounds": service_rounds,
        "bare_rounds": bare_rounds,
        "schema": schema,
        "peak_rss_mb": peak_rss_mb(),
        "stored": stored if start is None else None,
    }


def run(count: int) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kentra-bench-") as directory:
        ids = new_tenant_ids(5)
        listed = tenants_file(Path(directory), ids)
        with platform(Path(directory), ids, tenants=listed):
            pass  # provisioned once, here
        one = record(directory, str(listed), ids[0], count)
        copy_seconds = _copy(one["schema"], one["stored"])
        rate = one["commands"] / one["service_seconds"]
        bare = one["commands"] / one["bare_seconds"]
        results += [
            Result(
                "recording",
                "one tenant, commands/s (service layer)",
                rate,
                "cmd/s",
                "bare eventsourcing, same events",
                bare,
                ">= 0.8 of the bare library",
                rate / bare >= 0.8,
                f"{one['commands']} commands, {one['events']} events "
                f"({one['events'] / one['commands']:.1f} per command)",
            ),
            Result(
                "recording",
                "one tenant, events/s (service layer)",
                one["events"] / one["service_seconds"],
                "events/s",
                "one COPY of the same rows",
                one["events"] / copy_seconds,
                notes="COPY is the physical bound: one statement, no per-command transaction",
            ),
        ]
        spawn = multiprocessing.get_context("spawn")
        with spawn.Manager() as manager:
            start = manager.Barrier(4)
            with spawn.Pool(4) as pool:
                four = pool.starmap(record, [(directory, str(listed), t, count, start) for t in ids[1:]])
        commands = sum(r["commands"] for r in four)
        # Each phase of each round began together in the four: it lasted as long as its slowest process.
        service_wall = sum(max(rounds) for rounds in zip(*(r["service_rounds"] for r in four), strict=True))
        bare_wall = sum(max(rounds) for rounds in zip(*(r["bare_rounds"] for r in four), strict=True))
        results.append(
            Result(
                "recording",
                "four tenants at once, commands/s in all",
                commands / service_wall,
                "cmd/s",
                "bare eventsourcing, four processes",
                commands / bare_wall,
                ">= 0.8 of the bare library",
                (commands / service_wall) / (commands / bare_wall) >= 0.8,
                "four processes, one tenant each, started together",
            )
        )
    results.append(
        Result(
            "memory",
            "recording process, peak memory",
            max(r["peak_rss_mb"] for r in [one, *four]),
            "MB",
            target="< 500 MB",
            met=max(r["peak_rss_mb"] for r in [one, *four]) < 500,
            notes="the largest of the five recording processes",
        )
    )
    return results
