"""`kentra kafka init` and the roll-up's consumer group against the real broker (issue 22, part 4).

The harness's broker is one KRaft node, so the replication factor and min.insync.replicas are 1
here; topics get names of their own per test, since the broker is shared.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.partitioner.default import murmur2
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

from demo.history import DemoHistory
from gateways.cli import app
from gateways.kafka.consumer import RollupConsumer
from gateways.kafka.envelope import envelope
from gateways.kafka.gateway import Gateway, KafkaSink
from gateways.kafka.topics import EVENTS_RETENTION_MS
from infra.bootstrap import Kentra, bootstrap
from infra.kafka import kafka_admin
from infra.settings import Settings
from projections.queries import indicators
from projections.tables import rollup_events
from tests.conftest import TEST_MASTER_KEY, Clock, service_url
from tests.fleet import tenants_file

pytestmark = pytest.mark.integration
PARTITIONS = 12  # the settings' default
SPLIT = 6  # partitions of the consumer-group test: one tenant in each, six municipalities to record
TODAY = date(2025, 6, 1)
PERIOD = (date(2024, 3, 4), date(2025, 3, 3))
COMMANDS_PER_TENANT = 250  # a few months of casework: enough for figures, quick to record
CHECKED = ("cleanup.policy", "retention.ms", "retention.bytes", "min.insync.replicas")


class Topics:
    """A pair of topic names of this test's own, the environment naming them, and an admin client."""

    def __init__(self) -> None:
        self.servers = service_url("KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS")
        suffix = uuid4().hex[:10]
        self.events = f"kentra.events.test.{suffix}"
        self.checkpoints = f"kentra.checkpoints.test.{suffix}"
        self.admin = kafka_admin(self.servers)

    def env(self, environment: str | None = None, **settings: str) -> dict[str, str | None]:
        return {
            "KENTRA_KAFKA_BOOTSTRAP_SERVERS": self.servers,
            "KENTRA_KAFKA_TOPIC": self.events,
            "KENTRA_KAFKA_CHECKPOINT_TOPIC": self.checkpoints,
            "KENTRA_DATABASE_URL": None,
            "KENTRA_ENVIRONMENT": environment,
            "KENTRA_MASTER_KEY": None,
            "KENTRA_TOKEN_SECRET": None,
            "COLUMNS": "200",
            **{f"KENTRA_KAFKA_{name.upper()}": value for name, value in settings.items()},
        }

    def init(self, *args: str, environment: str | None = None, **settings: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, ["kafka", "init", *args], env=self.env(environment, **settings))
        return result.exit_code, result.stdout, result.stderr

    def exists(self, topic: str) -> bool:
        return topic in self.admin.list_topics()

    def partitions(self, topic: str) -> int:
        (described,) = self.admin.describe_topics([topic])
        return len(described["partitions"])

    def topic_id(self, topic: str) -> str:
        (described,) = self.admin.describe_topics([topic])
        return str(described["topic_id"])

    def configs(self, topic: str) -> dict[str, str]:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic, configs=dict.fromkeys(CHECKED))
        described = self.admin.describe_configs([resource], config_filter="all")["topic"][topic]
        return {key: entry["value"] for key, entry in described.items()}

    def sources(self, topic: str) -> set[str]:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic, configs=dict.fromkeys(CHECKED))
        described = self.admin.describe_configs([resource], config_filter="all")["topic"][topic]
        return {entry["config_source"] for entry in described.values()}

    def close(self) -> None:
        present = [t for t in (self.events, self.checkpoints) if self.exists(t)]
        if present:
            self.admin.delete_topics(present)
        self.admin.close()


@pytest.fixture
def topics() -> Iterator[Topics]:
    made = Topics()
    yield made
    made.close()


def test_init_creates_both_topics_with_the_configured_partitions_and_retention(topics: Topics) -> None:
    code, stdout, stderr = topics.init()
    assert code == 0, stderr
    assert f"{topics.events}: created" in stdout
    assert f"{topics.checkpoints}: created" in stdout
    assert topics.partitions(topics.events) == PARTITIONS
    assert topics.partitions(topics.checkpoints) == PARTITIONS
    assert topics.configs(topics.events) == {
        "cleanup.policy": "delete",
        "retention.ms": str(EVENTS_RETENTION_MS),
        "retention.bytes": "-1",
        "min.insync.replicas": "1",
    }
    # The external witness of the audit chain is never deleted, and never compacted to one per tenant.
    assert topics.configs(topics.checkpoints) == {
        "cleanup.policy": "delete",
        "retention.ms": "-1",
        "retention.bytes": "-1",
        "min.insync.replicas": "1",
    }


def test_init_twice_changes_nothing_the_second_time(topics: Topics) -> None:
    assert topics.init()[0] == 0
    before = {
        t: (topics.topic_id(t), topics.partitions(t), topics.configs(t)) for t in (topics.events, topics.checkpoints)
    }
    code, stdout, stderr = topics.init()
    assert code == 0, stderr
    assert stdout.splitlines() == [f"{topics.events}: unchanged", f"{topics.checkpoints}: unchanged"]
    after = {
        t: (topics.topic_id(t), topics.partitions(t), topics.configs(t)) for t in (topics.events, topics.checkpoints)
    }
    assert after == before


def test_topics_the_broker_auto_created_are_brought_to_the_settings(topics: Topics) -> None:
    # What a gateway started before `kentra kafka init` leaves: the broker's defaults (here 1 partition).
    topics.admin.create_topics(
        {name: {"num_partitions": 1, "replication_factor": 1} for name in (topics.events, topics.checkpoints)},
        wait_for_metadata=True,
    )
    assert topics.configs(topics.checkpoints)["retention.ms"] != "-1"  # the broker's default, a week
    code, _, stderr = topics.init("--check")
    assert code == 1  # --check says what differs and changes nothing
    assert "partitions 1 -> 12" in stderr
    assert topics.partitions(topics.checkpoints) == 1
    code, stdout, stderr = topics.init()
    assert code == 0, stderr
    assert f"{topics.checkpoints}: altered" in stdout
    assert topics.partitions(topics.events) == PARTITIONS
    assert topics.partitions(topics.checkpoints) == PARTITIONS
    assert topics.configs(topics.checkpoints)["retention.ms"] == "-1"
    assert topics.configs(topics.events)["retention.ms"] == str(EVENTS_RETENTION_MS)
    # Even a value equal to the broker's default is the topic's own now: a new default will not move it.
    assert "retention.bytes=-1 set on the topic (inherited)" in stdout
    assert topics.sources(topics.checkpoints) == {"DYNAMIC_TOPIC_CONFIG"}
    assert topics.init("--check")[0] == 0  # nothing differs any more


def test_a_replication_factor_the_cluster_cannot_give_is_reported_and_the_exit_is_non_zero(topics: Topics) -> None:
    code, _, stderr = topics.init(replication_factor="3", min_insync_replicas="2")
    assert code == 1
    assert "replication factor 3 (KENTRA_KAFKA_REPLICATION_FACTOR) needs as many brokers; the cluster has 1" in stderr
    assert not topics.exists(topics.events)
    assert not topics.exists(topics.checkpoints)
    assert topics.init()[0] == 0  # replication factor 1
    code, _, stderr = topics.init(replication_factor="3", min_insync_replicas="2")
    assert code == 1
    assert f"{topics.events}: refused" in stderr
    assert "replication factor 1, the settings ask 3" in stderr


def test_more_in_sync_replicas_than_replicas_is_refused_before_the_broker_is_asked(topics: Topics) -> None:
    code, _, stderr = topics.init(min_insync_replicas="2")
    assert code == 2
    assert "KENTRA_KAFKA_MIN_INSYNC_REPLICAS=2 is above KENTRA_KAFKA_REPLICATION_FACTOR=1" in stderr
    assert not topics.exists(topics.events)


def partition_of(tenant_id: str) -> int:
    """Where the producer's default partitioner puts a tenant's records (murmur2, as the Java client)."""
    return int(murmur2(tenant_id.encode()) & 0x7FFFFFFF) % SPLIT


def one_tenant_per_partition() -> list[str]:
    """Tenant ids that fall one in each partition: any split of them gives each member some tenants."""
    chosen: dict[int, str] = {}
    run = uuid4().hex[:6]
    candidate = 0
    while len(chosen) < SPLIT:
        tenant_id = f"split-{run}-{candidate}"
        chosen.setdefault(partition_of(tenant_id), tenant_id)
        candidate += 1
    return [chosen[p] for p in range(SPLIT)]


class Recording:
    """A group member that notes which tenants' records it was given (else the real consumer)."""

    def __init__(self, consumer: Any) -> None:
        self.consumer = consumer
        self.tenants: set[str] = set()

    def poll(self, **kwargs: Any) -> Any:
        records = self.consumer.poll(**kwargs)
        for batch in records.values():
            self.tenants.update(record.value["tenant"] for record in batch)
        return records

    def __getattr__(self, name: str) -> Any:
        return getattr(self.consumer, name)


class Member(threading.Thread):
    """One roll-up replica: its own platform (as a process has), polling until told to stop."""

    def __init__(self, settings: Settings, group: str) -> None:
        super().__init__(daemon=True)
        self.kentra = bootstrap(settings, today=Clock(TODAY))
        for tenant in self.kentra.registry.tenants:
            # Opened here, not in the thread: opening a store checks its migrations, and alembic's
            # context is one per process (two replicas are two processes in production).
            self.kentra.regional(tenant.id)
        self.recording = Recording(self.kentra.kafka_consumer(group=group, topic=settings.kafka_topic))
        self.rollup = RollupConsumer(self.kentra, self.recording)
        self.assigned: frozenset[int] = frozenset()
        self.stopping = threading.Event()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.rollup.poll_once(timeout_ms=200)
                self.assigned = frozenset(self.rollup.partitions)
        except BaseException as error:
            self.errors.append(error)
        finally:
            self.rollup.close()
            self.kentra.close()


def wait_for(condition: Any, what: Any, seconds: float = 60) -> None:
    """Poll ``condition`` until it holds; ``what`` (a callable for the state then) names it in the failure."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what() if callable(what) else what}"
        time.sleep(0.05)


def test_two_rollup_members_of_one_group_split_the_partitions_and_build_every_tenants_figures_once(
    topics: Topics,
) -> None:
    assert topics.init(partitions=str(SPLIT))[0] == 0
    data = Path(tempfile.mkdtemp(prefix="kentra-topics-"))
    tenant_ids = one_tenant_per_partition()
    settings = Settings(
        data_dir=data,
        master_key=SecretStr(TEST_MASTER_KEY),
        tenants_file=tenants_file(data, tenant_ids),
        kafka_bootstrap_servers=topics.servers,
        kafka_topic=topics.events,
        kafka_checkpoint_topic=topics.checkpoints,
    )
    kentra: Kentra = bootstrap(settings, today=Clock(TODAY))
    expected: dict[str, set[str]] = {}
    for tenant_id in tenant_ids:
        kentra.provision(tenant_id)
        kentra.provision_rollup(tenant_id)
        casework = kentra.casework(tenant_id)
        commands = list(DemoHistory(kentra.registry.tenant(tenant_id), TODAY).commands())[:COMMANDS_PER_TENANT]
        casework.execute_many(commands)
        tenant = kentra.registry.tenant(tenant_id)
        notifications = casework.recorder.select_notifications(start=0, limit=10_000, inclusive_of_start=False)
        envelopes = (
            envelope(
                tenant, n.id, casework.mapper.to_domain_event(n), kentra.keys(tenant).pseudonym, casework.vault.unseal
            )
            for n in notifications
        )
        expected[tenant_id] = {item["event_id"] for item in envelopes if item is not None}

    group = f"rollup-{uuid4().hex[:8]}"
    members = [Member(settings, group), Member(settings, group)]
    try:
        for member in members:
            member.start()
        # Both joined and the rebalance is over: each holds some partitions, none held twice, all held.
        wait_for(
            lambda: (
                all(m.assigned for m in members)
                and sum(len(m.assigned) for m in members) == SPLIT
                and set().union(*(m.assigned for m in members)) == set(range(SPLIT))
            ),
            "the group's two members sharing the partitions",
        )
        sink = KafkaSink(kentra.kafka_producer(), topic=topics.events)
        gateway = Gateway(kentra, sink, batch=250)
        for tenant_id in tenant_ids:
            gateway.catch_up(tenant_id)
        sink.close()

        def applied(tenant_id: str) -> int:
            with kentra.regional(tenant_id).engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(rollup_events)).scalar_one())

        wait_for(
            lambda: all(applied(t) == len(expected[t]) for t in tenant_ids),
            lambda: (
                "every tenant's envelopes applied in its Region's store: "
                f"{[(applied(t), len(expected[t])) for t in tenant_ids]}, "
                f"errors {[e for m in members for e in m.errors]}"
            ),
        )
    finally:
        for member in members:
            member.stopping.set()
        for member in members:
            member.join(timeout=30)
    assert not [error for member in members for error in member.errors]

    # Each member was given the tenants of its partitions only: no tenant's events went to both.
    first, second = (member.recording.tenants for member in members)
    assert first
    assert second
    assert not first & second
    assert first | second == set(tenant_ids)
    for member in members:
        assert member.recording.tenants == {t for t in tenant_ids if partition_of(t) in member.assigned}

    # Each tenant's records sit in the one partition its key hashes to, in the log's order.
    reader = KafkaConsumer(bootstrap_servers=topics.servers, group_id=None, consumer_timeout_ms=3000)
    assigned = [TopicPartition(topics.events, p) for p in range(SPLIT)]
    reader.assign(assigned)
    reader.seek_to_beginning()
    positions: dict[str, list[int]] = {}
    for record in reader:
        assert record.partition == partition_of(record.key.decode())
        positions.setdefault(record.key.decode(), []).append(json.loads(record.value)["position"])
    reader.close()
    assert set(positions) == set(tenant_ids)
    assert all(found == sorted(found) for found in positions.values())

    # Together they built every tenant's regional figures once: the municipality's own figures.
    for tenant_id in tenant_ids:
        kentra.views(tenant_id).catch_up()
        with (
            kentra.views(tenant_id).engine.connect() as own,
            kentra.regional(tenant_id).engine.connect() as regional,
        ):
            mine, theirs = indicators(own, *PERIOD, None), indicators(regional, *PERIOD, None)
        assert mine["requests"]["total"] > 0
        assert theirs == mine
    kentra.close()


def test_init_in_production_needs_only_the_kafka_settings_not_the_stores_secrets(topics: Topics) -> None:
    # The Job that runs it holds no database URL, master key or token secret (least privilege).
    code, stdout, stderr = topics.init(environment="production")
    assert code == 0, stderr
    assert f"{topics.events}: created" in stdout


def test_a_partition_count_out_of_bounds_is_refused_naming_the_setting(topics: Topics) -> None:
    code, _, stderr = topics.init(partitions="0")
    assert code == 2
    assert "KENTRA_KAFKA_PARTITIONS" in stderr
    assert not topics.exists(topics.events)


def test_one_name_for_both_topics_is_refused(topics: Topics) -> None:
    code, _, stderr = topics.init(checkpoint_topic=topics.events)
    assert code == 2
    assert "KENTRA_KAFKA_TOPIC and KENTRA_KAFKA_CHECKPOINT_TOPIC both name" in stderr
    assert not topics.exists(topics.events)
