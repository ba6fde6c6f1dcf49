"""Indicator queries at 10 thousand to 10 million events of history: p50 and p99 of a month's, a
half-year's (the ESF reporting unit) and since opening's indicators, each against the same period's
query on the smallest history as baseline, beside the rows-counted query of before issue 24.

Growing a real log to 10 million events through the service would take hours here, and a query
reads the read models, not the log. So a real history is recorded and folded once (a few thousand
commands of the demo's mix), and its read-model rows are copied, with fresh ids and dates spread over
the programme years 2019-2025, as many times as the size asks: the tables then hold what that many events of the same
mix would leave, and their summaries are derived once from them (``derive_all``, as migration 0013 does).
The figures say so.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import create_engine, select, text

from bench.common import TODAY, Result, new_tenant_ids, percentile, platform, tenants_file
from demo.history import DemoHistory
from infra.stores import PostgresStorage
from projections.queries import indicators, indicators_from_rows
from projections.summary import derive_all
from projections.tables import SUMMARY_TABLES, case_index, contacts, people

TABLES = (people, case_index, contacts)


def _window(samples: dict[Any, list[dict[str, Any]]]) -> tuple[int, int]:
    """How far the sample's dates may move and stay within 2019-2025, the programme years."""
    days = [v for rows in samples.values() for row in rows for v in row.values() if isinstance(v, date)]
    return (date(2019, 1, 1) - min(days)).days, (date(2025, 12, 31) - max(days)).days


def _copy_rows(connect: Any, schema: str, samples: dict[Any, list[dict[str, Any]]], copies: int, seed: int) -> None:
    rng = random.Random(seed)
    low, high = _window(samples)
    with connect() as conn:
        for _ in range(copies):
            ids: dict[UUID, UUID] = {}
            shift = timedelta(days=rng.randint(low, max(low, high)))

            for table in TABLES:
                names = [c.name for c in table.columns]
                with (
                    conn.cursor() as cur,
                    cur.copy(f'COPY "{schema}".{table.name} ({", ".join(names)}) FROM STDIN') as writing,
                ):
                    for row in samples[table]:
                        out = []
                        for name in names:
                            value = row[name]
                            if name in ("beneficiary_id", "entry_id"):
                                value = ids.setdefault(value, uuid4()) if value is not None else None
                            elif isinstance(value, date):
                                value = value + shift
                            out.append(value)
                        writing.write_row(out)
        conn.commit()
        with conn.cursor() as cur:
            for table in TABLES:
                cur.execute(f'ANALYZE "{schema}".{table.name}')
        conn.commit()


# Each period of a figure: a month, the ESF half-year, and since opening (the programme years entire).
PERIODS: dict[str, Any] = {
    "a month": lambda n: (date(2022, 3 + n % 2, 1), date(2022, 3 + n % 2, 28 + 3 * (1 - n % 2))),
    "a half-year": lambda n: (
        date(2022, 1 + 6 * (n % 2), 1),
        (date(2022, 6 + 6 * (n % 2), 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1),
    ),
    "since opening": lambda n: (date(2019, 1, 1), date(2025, 12, 31 - n % 2)),
}


def _measure(kentra: Any, tenant_id: str, runs: int, period: Any, query: Any = indicators) -> list[float]:
    views = kentra.views(tenant_id)
    samples = []
    for n in range(runs):
        start, end = period(n)
        began = time.perf_counter()
        with views.engine.connect() as conn:
            query(conn, start, end, None)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def _derive(kentra: Any, tenant_id: str) -> float:
    """The copied rows' summaries, derived at once (as migration 0013 does on a store upgraded in place)."""
    began = time.perf_counter()
    with kentra.views(tenant_id).engine.begin() as conn:
        derive_all(conn)
    took = time.perf_counter() - began
    storage = kentra.storage(tenant_id)
    owner = create_engine(storage.owner_url.set(drivername="postgresql+psycopg"))  # ANALYZE is the owner's
    try:
        with owner.begin() as conn:
            for table in (*TABLES, *SUMMARY_TABLES):
                conn.execute(text(f'ANALYZE "{storage.schema}".{table.name}'))
    finally:
        owner.dispose()
    return took


def run(sizes: list[int], sample_commands: int = 3000, runs: int = 40) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kentra-bench-") as directory:
        [tenant_id] = new_tenant_ids(1)
        listed = tenants_file(Path(directory), [tenant_id])
        with platform(Path(directory), [tenant_id], tenants=listed) as kentra:
            casework = kentra.casework(tenant_id)
            commands = list(islice(DemoHistory(kentra.registry.tenant(tenant_id), TODAY).commands(), sample_commands))
            for start in range(0, len(commands), 500):
                casework.execute_many(commands[start : start + 500])
            sample_events = casework.recorder.max_notification_id() or 0
            views = kentra.views(tenant_id)
            views.catch_up()
            with views.engine.connect() as conn:
                samples = {t: [dict(r) for r in conn.execute(select(t)).mappings()] for t in TABLES}
            storage = kentra.storage(tenant_id)
            assert isinstance(storage, PostgresStorage)
            url, schema = storage.tenant_connection, storage.schema  # issue 22: the tenant's role is NOLOGIN
            held = sample_events
            baselines: dict[str, float] = {}
            for size in sorted(sizes):
                copies = max(0, round((size - held) / sample_events))
                _copy_rows(url, schema, samples, copies, seed=size)
                held += copies * sample_events
                derived = _derive(kentra, tenant_id) if copies else 0.0
                measured = runs if size <= 1_000_000 else max(10, runs // 3)
                rows = sum(len(samples[t]) for t in TABLES) * (held // sample_events)
                for name, period in PERIODS.items():
                    timings = _measure(kentra, tenant_id, measured, period)
                    before = _measure(kentra, tenant_id, max(5, measured // 4), period, indicators_from_rows)
                    p50, p99, rows_p99 = percentile(timings, 50), percentile(timings, 99), percentile(before, 99)
                    baseline = baselines.setdefault(name, p99)
                    results.append(
                        Result(
                            "queries",
                            f"indicators for {name} at {size:,} events, p99",
                            p99,
                            "ms",
                            f"p99 for {name} at the smallest history",
                            baseline,
                            "p99 < 50 ms and p99 / p99 at the smallest <= 1.5",
                            p99 < 50 and p99 <= 1.5 * baseline,
                            f"p50 {p50:.1f} ms, {measured} runs; from the summaries, derived from the copied rows "
                            f"in {derived:.1f} s (derive_all); counted from the rows as before issue 24: p99 "
                            f"{rows_p99:.1f} ms; {rows:,} read-model rows (~{held:,} events' worth)",
                            {"p50_ms": p50, "events": held, "rows_p99_ms": rows_p99, "derive_s": derived},
                        )
                    )
    return results
