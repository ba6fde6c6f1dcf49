"""A tenant's history grown by bulk import, then everything that reads the whole log: the import
itself, the projection rebuild (with the process's peak memory), the audit chain's verification and
the auditor's replay, each against a plain scan of the same event table in the same run."""

from __future__ import annotations

import hashlib
import multiprocessing
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from bench.common import TODAY, Result, new_tenant_ids, peak_rss_mb, platform, settings, tenants_file, timed
from bench.recording import _bare_recorder
from domain.identifiers import make_amka
from infra.bootstrap import bootstrap
from infra.stores import EVENTS_TABLE
from projections.audit_seal import seal_state, unsealed_state
from projections.replay import replay
from services.importing import BATCH, LAYOUTS, Importer

GENDERS = ("female", "male")
CATEGORIES = ("gmi", "housing_benefit", "food_aid_teba", "disability_benefit", "birth_benefit")


def people(count: int) -> Iterator[tuple[int, dict[str, str]]]:
    for n in range(count):
        born = date(1940, 1, 1) + timedelta(days=n // 9000 * 7 + n % 7)
        yield (
            n + 2,
            {
                "ref": f"P-{n}",
                "occurred_on": (date(2019, 3, 4) + timedelta(days=n % 1800)).isoformat(),
                "structure": "centre" if n % 5 else "roma-branch",
                "first_name": "Όνομα",
                "last_name": f"Επώνυμο{n % 997}",
                "birth_date": born.isoformat(),
                "amka": make_amka(born, n % 9000),
                "phone": "6912345678",
                "address": "Οδός 1",
                "gender": GENDERS[n % 2],
                "employment_status": "unemployed",
                "isced_level": str(n % 9),
                "household_situation": "single_parent",
                "residence_area": "rural",
                "foreign_background": "όχι",
                "third_country_national": "όχι",
                "homeless": "όχι",
                "disability": "no",
                "minority": "refused",
                "other_disadvantage": "no",
            },
        )


def requests(count: int) -> Iterator[tuple[int, dict[str, str]]]:
    for line, person in people(count):
        yield (
            line,
            {
                "ref": f"R-{line}",
                "beneficiary_amka": person["amka"],
                "category": CATEGORIES[line % len(CATEGORIES)],
                "structure": person["structure"],
                "occurred_on": (date.fromisoformat(person["occurred_on"]) + timedelta(days=3)).isoformat(),
                "agency": "opeka",
            },
        )


def _rebuild(directory: str, tenants: str, tenant_id: str) -> dict[str, float]:
    """In a process of its own, so its peak memory is the rebuild's."""
    kentra = bootstrap(settings(Path(directory), [tenant_id], tenants=Path(tenants)), today=lambda: TODAY)
    try:
        views = kentra.views(tenant_id)
        seconds, events = timed(views.rebuild)
        return {"seconds": seconds, "events": events, "peak_rss_mb": peak_rss_mb()}
    finally:
        kentra.close()


def _scan(kentra: Any, tenant_id: str) -> tuple[float, int]:
    """The baseline: every row of the tenant's event table, read in order, as the library stores it."""
    storage = kentra.storage(tenant_id)
    connect = storage.tenant_connection  # issue 22: the tenant's role is NOLOGIN
    table = f'"{storage.schema}".{EVENTS_TABLE}'

    def read() -> int:
        count = 0
        with connect() as conn, conn.cursor(name="scan") as cur:
            cur.itersize = 2000
            cur.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state"
                f" FROM {table} ORDER BY notification_id"
            )
            for _ in cur:
                count += 1
        return count

    return timed(read)


def _grow(kentra: Any, tenant_id: str, target: int) -> int:
    """Copy the log's own rows, with fresh entry ids, until it holds ``target`` events; returns how many.

    Each copy keeps every entry's versions together, points at the same sealed data and is sealed for
    its own id, so the copies fold, chain, verify and replay like the events they were made from.
    (Recording a million events through the service would take most of an hour here; the readers are
    what this measures.)
    """
    storage = kentra.storage(tenant_id)
    table = f'"{storage.schema}".{EVENTS_TABLE}'
    # Each row's seal (issue 21) binds its originator id: a copy under a fresh id is sealed again with
    # the tenant's key, as Kentra would have sealed it, or `audit verify` rightly reports it forged.
    key = kentra.keys(kentra.registry.tenant(tenant_id)).event_seal_key()
    with storage.tenant_connection() as conn:  # issue 22: the tenant's role is NOLOGIN
        rows = conn.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {table} ORDER BY notification_id"
        ).fetchall()
        held = len(rows)
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN") as writing,
        ):
            while held < target:
                fresh: dict[Any, UUID] = {}
                for originator, version, topic, state in rows[: target - held]:
                    copy_id = fresh.setdefault(originator, uuid4())
                    body = unsealed_state(bytes(state))
                    writing.write_row((copy_id, version, topic, seal_state(key, copy_id, version, topic, body)))
                held += min(len(rows), target - held)
        conn.commit()
    return held


def run(persons: int, grow_to: int = 0) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kentra-bench-") as directory:
        [tenant_id] = new_tenant_ids(1)
        listed = tenants_file(Path(directory), [tenant_id])
        with platform(Path(directory), [tenant_id], tenants=listed) as kentra:
            casework = kentra.casework(tenant_id)
            importer = Importer(casework, on_problem=lambda problem: None)
            total_seconds, events = 0.0, 0
            first = (casework.recorder.max_notification_id() or 0) + 1
            for layout, made in (("beneficiaries", people), ("requests", requests)):
                rows = list(made(persons))  # made before the clock starts: the import is timed, not the rows' maker
                before = casework.recorder.max_notification_id() or 0
                checksum = hashlib.sha256(layout.encode()).hexdigest()
                began = time.perf_counter()
                summary = importer.run(LAYOUTS[layout], rows, source=layout, checksum=checksum, dry_run=False)
                seconds = time.perf_counter() - began
                assert summary.recorded == persons, summary.as_dict()
                total_seconds += seconds
                events += (casework.recorder.max_notification_id() or 0) - before
            imported = [
                StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
                for n in casework.recorder.select_notifications(start=first, limit=events)
            ]
            rate = events / total_seconds
            notes = f"{persons:,} people and {persons:,} requests from rows: {events:,} events"
            bare = _bare_recorder(f"bench_bare_{uuid4().hex[:10]}")
            groups = [imported[i : i + 2] for i in range(0, len(imported), 2)]  # a row's two events together
            bare_seconds, _ = timed(lambda: [bare.insert_events(group) for group in groups])
            bare.datastore.close()
            # The library at its best: the same events saved a batch of rows (the import's) at a time.
            batched = _bare_recorder(f"bench_bare_{uuid4().hex[:10]}")
            chunks = [imported[i : i + 2 * BATCH] for i in range(0, len(imported), 2 * BATCH)]
            batched_seconds, _ = timed(lambda: [batched.insert_events(chunk) for chunk in chunks])
            batched.datastore.close()
            results += [
                Result(
                    "import",
                    "bulk import, events/s",
                    rate,
                    "events/s",
                    "bare eventsourcing, same events, a transaction per row",
                    len(imported) / bare_seconds,
                    target=">= 10,000 events/s",
                    met=rate >= 10_000,
                    notes=notes,
                ),
                Result(
                    "import",
                    "bulk import against the library's own batch, events/s",
                    rate,
                    "events/s",
                    f"bare eventsourcing, same events, a transaction per {BATCH} rows",
                    len(imported) / batched_seconds,
                    notes=f"{len(chunks):,} transactions of up to {2 * BATCH:,} events",
                ),
            ]
            if grow_to > events:
                _grow(kentra, tenant_id, grow_to)
            scan_seconds, scanned = _scan(kentra, tenant_id)
            scan_rate = scanned / scan_seconds
            spawn = multiprocessing.get_context("spawn")
            with spawn.Pool(1) as pool:
                rebuilt = pool.apply(_rebuild, (directory, str(listed), tenant_id))
            rate = rebuilt["events"] / rebuilt["seconds"]
            results += [
                Result(
                    "rebuild",
                    "projection rebuild, events/s",
                    rate,
                    "events/s",
                    "plain scan of the event table",
                    scan_rate,
                    ">= 20,000 events/s",
                    rate >= 20_000,
                    f"{scanned:,} events",
                ),
                Result(
                    "rebuild",
                    "rebuild process, peak memory",
                    rebuilt["peak_rss_mb"],
                    "MB",
                    target="< 500 MB for 1 million events",
                    met=rebuilt["peak_rss_mb"] < 500 if scanned >= 1_000_000 else None,
                    notes=f"{scanned:,} events",
                ),
            ]
            chain = kentra.audit_chain(tenant_id)
            chain.extend()
            verify_seconds, verdict = timed(chain.verify)
            assert verdict.ok, (
                f"the grown log does not verify: {verdict.kind} at {verdict.first_broken}: {verdict.problem}"
            )
            replay_seconds, _ = timed(lambda: replay(casework, casework.vault, TODAY))
            results += [
                Result(
                    "audit",
                    "chain verify, events/s",
                    scanned / verify_seconds,
                    "events/s",
                    "plain scan of the event table",
                    scan_rate,
                    ">= 50,000 events/s",
                    scanned / verify_seconds >= 50_000,
                ),
                Result(
                    "audit",
                    "replay as of a day, events/s",
                    scanned / replay_seconds,
                    "events/s",
                    "plain scan of the event table",
                    scan_rate,
                ),
            ]
    return results
