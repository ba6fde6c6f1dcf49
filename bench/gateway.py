"""The gateway to Kafka: events per second published from a tenant's log (pseudonymised, acknowledged
by the broker) against a bare producer sending the same bytes with the same settings; and the
end-to-end regional lag, from recording in the municipality to effect in the region's figures, with
`kentra gateway run` and `kentra rollup run` as processes while commands arrive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from uuid import uuid4

from kafka import KafkaProducer
from sqlalchemy import Engine, func, select

from bench.common import (
    BENCH_MASTER_KEY,
    TODAY,
    Result,
    new_tenant_ids,
    peak_of,
    percentile,
    platform,
    service,
    tenants_file,
    timed,
)
from demo.history import DemoHistory
from gateways.kafka.envelope import envelope
from gateways.kafka.gateway import Gateway, KafkaSink
from projections.tables import rollup_events

ROOT = Path(__file__).parents[1]


def _bare(servers: str, topic: str, tenant_id: str, values: list[bytes]) -> float:
    producer = KafkaProducer(
        bootstrap_servers=servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_in_flight_requests_per_connection=5,
    )
    key = tenant_id.encode()

    def send() -> None:
        for start in range(0, len(values), 1000):  # as the gateway does: a batch, then wait for every ack
            futures = [producer.send(topic, key=key, value=value) for value in values[start : start + 1000]]
            producer.flush()
            for future in futures:
                future.get(timeout=30)

    seconds, _ = timed(send)
    producer.close()
    return seconds


def _applied_up_to(regional: Engine, position: int, *, timeout: float) -> float:
    """Wait until the regional store has applied the log up to ``position``; returns the seconds waited."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        with regional.connect() as conn:
            done = conn.execute(select(func.max(rollup_events.c.position))).scalar()
        if done is not None and done >= position:
            break
        time.sleep(0.2)
    return time.monotonic() - began


def run(commands: int = 3000, paced: int = 400, rate: float = 20.0) -> list[Result]:
    servers = service("KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS")
    results: list[Result] = []
    topic = f"kentra.bench.{uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="kentra-bench-") as directory:
        [tenant_id] = new_tenant_ids(1)
        listed = tenants_file(Path(directory), [tenant_id])
        with platform(Path(directory), [tenant_id], tenants=listed, kafka_topic=topic) as kentra:
            casework = kentra.casework(tenant_id)
            tenant = kentra.registry.tenant(tenant_id)
            history = list(islice(DemoHistory(tenant, TODAY).commands(), commands + paced))
            commands = min(commands, len(history) - paced)  # a municipality's history has an end
            for start in range(0, commands, 500):
                casework.execute_many(history[start : min(start + 500, commands)])
            head = casework.recorder.max_notification_id() or 0
            sink = KafkaSink(servers, topic=topic)
            seconds, _ = timed(lambda: Gateway(kentra, sink).catch_up(tenant_id))
            sink.close()
            keys = kentra.keys(tenant)
            values, last_envelope = [], 0
            for n in casework.recorder.select_notifications(start=0, limit=head, inclusive_of_start=False):
                item = envelope(tenant, n.id, casework.mapper.to_domain_event(n), keys.pseudonym, casework.vault.unseal)
                if item is not None:
                    values.append(json.dumps(item, ensure_ascii=False, sort_keys=True).encode())
                    last_envelope = n.id
            bare_seconds = _bare(servers, topic + ".bare", tenant_id, values)
            results.append(
                Result(
                    "gateway",
                    "gateway throughput, log events/s",
                    head / seconds,
                    "events/s",
                    "bare producer, the same bytes",
                    head / bare_seconds,
                    notes=f"{head:,} log events, {len(values):,} envelopes (acks=all, idempotent)",
                )
            )
            # The regional lag: both workers as processes, commands arriving at a steady pace.
            kentra.provision_rollup(tenant_id)
            assert kentra.settings.database_url is not None
            assert kentra.settings.database_owner_url is not None
            env = {
                **os.environ,
                "KENTRA_DATA_DIR": directory,
                "KENTRA_MASTER_KEY": BENCH_MASTER_KEY,
                "KENTRA_TENANTS_FILE": str(listed),
                "KENTRA_DATABASE_URL": kentra.settings.database_url.get_secret_value(),
                "KENTRA_DATABASE_OWNER_URL": kentra.settings.database_owner_url.get_secret_value(),
                "KENTRA_KAFKA_BOOTSTRAP_SERVERS": servers,
                "KENTRA_KAFKA_TOPIC": topic,
                "KENTRA_LOG_LEVEL": "WARNING",
            }
            group = f"bench-{uuid4().hex[:6]}"
            workers = [
                subprocess.Popen(
                    [sys.executable, "-m", "gateways.cli", *argv],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for argv in (["gateway", "run", "--interval", "0.2"], ["rollup", "run", "--group", group])
            ]
            regional = kentra.regional(tenant_id).engine
            try:
                # The lag is measured in the steady state: first both workers connect, the group forms and
                # the roll-up takes the history already on the topic (its throughput is the figure above).
                warm_up = _applied_up_to(regional, last_envelope, timeout=600)
                began = time.perf_counter()
                for number, command in enumerate(history[commands:]):
                    casework.execute(command)
                    pause = began + (number + 1) / rate - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                paced_log = casework.recorder.select_notifications(start=head, limit=100_000, inclusive_of_start=False)
                published = [
                    n.id
                    for n in paced_log
                    if envelope(tenant, n.id, casework.mapper.to_domain_event(n), keys.pseudonym, casework.vault.unseal)
                ]
                _applied_up_to(regional, max(published, default=head), timeout=60)
                with regional.connect() as conn:
                    rows = conn.execute(
                        select(rollup_events.c.recorded_at, rollup_events.c.applied_at).where(
                            rollup_events.c.position > head
                        )
                    ).all()
                peaks = [peak_of(worker.pid) for worker in workers]
            finally:
                for worker in workers:
                    worker.terminate()
                    worker.wait(timeout=20)
            lags = [(applied - recorded).total_seconds() for recorded, applied in rows]
            p99 = percentile(lags, 99) if lags else float("inf")
            results.append(
                Result(
                    "gateway",
                    "regional lag, recording to regional figures, p99",
                    p99,
                    "s",
                    target="p99 < 2 s",
                    met=p99 < 2,
                    notes=f"p50 {percentile(lags, 50) if lags else float('nan'):.2f} s over {len(lags)} events; "
                    f"{paced} commands at {rate:.0f}/s; gateway polls every 0.2 s; "
                    f"started once the roll-up had taken the history ({warm_up:.0f} s)",
                    extra={"p50_s": percentile(lags, 50) if lags else None},
                )
            )
    for name, peak in zip(("gateway run", "rollup run"), peaks, strict=True):
        results.append(Result("memory", f"{name} worker, peak memory", peak, "MB", target="< 500 MB", met=peak < 500))
    return results
