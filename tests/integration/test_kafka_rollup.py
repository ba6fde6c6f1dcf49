"""The gateway and the roll-up against Apache Kafka (KRaft) started by the harness.

Per-tenant order; the gateway killed with SIGKILL mid-stream and restarted; the broker stopped and
restarted mid-stream; the consumer restarted. Each time: nothing lost, nothing counted twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from kafka import KafkaConsumer, TopicPartition
from pydantic import SecretStr
from sqlalchemy import func, select

from demo.history import DemoHistory
from gateways.kafka.consumer import RollupConsumer
from gateways.kafka.envelope import envelope
from gateways.kafka.gateway import Gateway, KafkaSink
from infra.bootstrap import Kentra, bootstrap
from infra.settings import Settings
from projections.queries import indicators
from projections.tables import rollup_events
from tests.conftest import TEST_MASTER_KEY, Clock, service_url
from tests.fleet import tenants_file

pytestmark = pytest.mark.integration
TODAY = date(2025, 6, 1)
PERIOD = (date(2024, 3, 4), date(2025, 3, 3))
ROOT = Path(__file__).parents[2]


class World:
    """A municipality with a year of casework, its own topic, and the settings to reach them."""

    def __init__(self) -> None:
        self.servers = service_url("KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS")
        self.data = Path(tempfile.mkdtemp(prefix="kentra-kafka-"))
        self.tenant_id = f"kafka-{uuid4().hex[:10]}"
        self.topic = f"kentra.events.test.{uuid4().hex[:8]}"
        self.settings = Settings(
            data_dir=self.data,
            master_key=SecretStr(TEST_MASTER_KEY),
            tenants_file=tenants_file(self.data, [self.tenant_id], roma=True),
            kafka_bootstrap_servers=self.servers,
            kafka_topic=self.topic,
        )
        self.kentra: Kentra = bootstrap(self.settings, today=Clock(TODAY))
        self.kentra.provision(self.tenant_id)
        self.kentra.provision_rollup(self.tenant_id)
        casework = self.kentra.casework(self.tenant_id)
        commands = list(DemoHistory(self.kentra.registry.tenant(self.tenant_id), TODAY).commands())
        for start in range(0, len(commands), 500):
            casework.execute_many(commands[start : start + 500])
        self.head = casework.recorder.max_notification_id() or 0

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "KENTRA_DATA_DIR": str(self.data),
            "KENTRA_MASTER_KEY": TEST_MASTER_KEY,
            "KENTRA_TENANTS_FILE": str(self.settings.tenants_file),
            "KENTRA_KAFKA_BOOTSTRAP_SERVERS": self.servers,
            "KENTRA_KAFKA_TOPIC": self.topic,
            "KENTRA_DATABASE_URL": "",
        }

    def expected_event_ids(self) -> set[str]:
        """The event ids the gateway must publish: one per casework event of the log."""
        capture: list[dict[str, Any]] = []
        casework = self.kentra.casework(self.tenant_id)
        notifications = casework.recorder.select_notifications(start=0, limit=self.head + 1, inclusive_of_start=False)
        tenant = self.kentra.registry.tenant(self.tenant_id)
        for n in notifications:
            item = envelope(
                tenant,
                n.id,
                casework.mapper.to_domain_event(n),
                self.kentra.keys(tenant).pseudonym,
                casework.vault.unseal,
            )
            if item is not None:
                capture.append(item)
        return {item["event_id"] for item in capture}

    def messages(self) -> list[Any]:
        consumer = KafkaConsumer(
            bootstrap_servers=self.servers, auto_offset_reset="earliest", consumer_timeout_ms=5000, group_id=None
        )
        partitions = [TopicPartition(self.topic, p) for p in consumer.partitions_for_topic(self.topic) or []]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        records = list(consumer)
        consumer.close()
        return records

    def consume(self, group: str | None = None, *, until_idle: int = 3) -> int:
        consumer = RollupConsumer(self.kentra, self.servers, group=group or f"g-{uuid4().hex[:8]}", topic=self.topic)
        applied, idle = 0, 0
        while idle < until_idle:
            done = consumer.poll_once(timeout_ms=1500)
            applied += done
            idle = 0 if done else idle + 1
        consumer.close()
        return applied

    def figures_agree(self) -> None:
        self.kentra.views(self.tenant_id).catch_up()
        with (
            self.kentra.views(self.tenant_id).engine.connect() as own,
            self.kentra.regional(self.tenant_id).engine.connect() as regional,
        ):
            mine, theirs = indicators(own, *PERIOD, None), indicators(regional, *PERIOD, None)
        assert mine["requests"]["total"] > 900
        assert theirs == mine

    def close(self) -> None:
        self.kentra.close()


@pytest.fixture
def world() -> Any:
    created = World()
    yield created
    created.close()


def test_each_tenants_events_arrive_in_order_and_build_the_same_figures(world: World) -> None:
    sink = KafkaSink(world.servers, topic=world.topic)
    Gateway(world.kentra, sink, batch=700).catch_up(world.tenant_id)
    sink.close()
    records = world.messages()
    positions = [json.loads(r.value)["position"] for r in records]
    assert positions == sorted(positions)  # keyed by tenant: one partition, the log's order
    assert {r.key for r in records} == {world.tenant_id.encode()}
    world.consume()
    world.figures_agree()


def test_a_gateway_killed_mid_stream_resumes_and_nothing_is_lost_or_doubled(world: World) -> None:
    command = [sys.executable, "-m", "gateways.cli", "gateway", "run", "--batch", "50"]
    process = subprocess.Popen(
        command,
        env=world.env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    gateway = Gateway(world.kentra, KafkaSink(world.servers, topic=world.topic))
    deadline = time.monotonic() + 60
    while gateway.position(world.tenant_id) < world.head // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    stopped_at = gateway.position(world.tenant_id)
    assert 0 < stopped_at < world.head  # killed mid-stream
    restarted = subprocess.run(
        [*command, "--once"],
        env=world.env(),
        cwd=ROOT,
        timeout=120,
        capture_output=True,
        text=True,
        check=False,
    )
    assert restarted.returncode == 0, restarted.stderr
    assert gateway.position(world.tenant_id) == world.head
    ids = [json.loads(r.value)["event_id"] for r in world.messages()]
    assert set(ids) == world.expected_event_ids()  # every casework event arrived; some perhaps twice
    world.consume()
    world.figures_agree()


def test_a_rollup_worker_killed_mid_stream_resumes_and_counts_each_event_once(world: World) -> None:
    sink = KafkaSink(world.servers, topic=world.topic)
    Gateway(world.kentra, sink).catch_up(world.tenant_id)
    sink.close()
    command = [sys.executable, "-m", "gateways.cli", "rollup", "run", "--group", "killed"]
    process = subprocess.Popen(command, env=world.env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    regional = world.kentra.regional(world.tenant_id).engine
    deadline = time.monotonic() + 60
    applied = 0
    while applied == 0 and time.monotonic() < deadline:
        with regional.connect() as conn:
            applied = conn.execute(select(func.count()).select_from(rollup_events)).scalar_one()
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    with regional.connect() as conn:
        stopped_at = conn.execute(select(func.count()).select_from(rollup_events)).scalar_one()
    assert 0 < stopped_at < len(world.expected_event_ids())  # killed mid-stream
    restarted = subprocess.run(
        [*command, "--once"], env=world.env(), cwd=ROOT, timeout=120, capture_output=True, text=True, check=False
    )
    assert restarted.returncode == 0, restarted.stderr
    world.figures_agree()  # what the killed worker applied but had not committed is not counted twice


def test_the_broker_away_for_30_seconds_mid_stream_loses_nothing_and_the_gateway_catches_up(world: World) -> None:
    if not os.environ.get("KENTRA_TEST_KAFKA_HARNESS"):
        pytest.skip("the broker is not the harness's own, so this test cannot restart it")
    script = ROOT / "infra/services/kafka.sh"
    done, errors = threading.Event(), []
    gateway = Gateway(world.kentra, None)  # type: ignore[arg-type]  # only reads the position
    first = KafkaSink(world.servers, topic=world.topic, timeout=5)
    Gateway(world.kentra, first, batch=100).publish(world.tenant_id)  # the stream has begun
    first.close()
    assert 0 < gateway.position(world.tenant_id) < world.head

    def publish() -> None:
        # As `kentra gateway run` does: (re)connect inside the retry, since the broker may be away then too.
        sink: KafkaSink | None = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if sink is None:
                    sink = KafkaSink(world.servers, topic=world.topic, timeout=5)
                if Gateway(world.kentra, sink, batch=100).publish(world.tenant_id) == 0:
                    break
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}"[:120])
                if sink is not None:
                    sink.close()
                sink = None
                time.sleep(1)
        if sink is not None:
            sink.close()
        done.set()

    subprocess.run(["bash", str(script), "stop"], check=True, timeout=60)
    publisher = threading.Thread(target=publish)
    try:
        publisher.start()  # the gateway goes on while the broker is away
        time.sleep(30)
        assert not done.is_set()  # nothing could be delivered meanwhile
    finally:
        subprocess.run(["bash", str(script), "start"], check=True, timeout=120)
    publisher.join(timeout=200)
    assert done.is_set(), errors
    assert errors  # the outage was felt, and retried
    assert gateway.position(world.tenant_id) == world.head
    world.consume()
    world.figures_agree()


def test_a_restarted_consumer_goes_on_where_its_group_left_off(world: World) -> None:
    sink = KafkaSink(world.servers, topic=world.topic)
    Gateway(world.kentra, sink).catch_up(world.tenant_id)
    sink.close()
    first = RollupConsumer(world.kentra, world.servers, group="restarts", topic=world.topic)
    applied = 0
    while applied == 0:
        applied = first.poll_once(timeout_ms=2000)
    first.close()  # stopped after one batch, offsets committed for what it took
    assert 0 < applied < world.head
    applied += world.consume(group="restarts")
    world.figures_agree()
    assert world.consume() == 0  # a whole replay by another group adds nothing: every event seen once
