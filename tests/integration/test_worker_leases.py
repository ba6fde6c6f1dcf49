"""Worker replicas share the tenants through leases, on the real PostgreSQL and Kafka.

Replicas of `kentra projections run` and `kentra gateway run` run as subprocesses over municipalities
of their own on the shared server (their tenants file lists only those, so no other test's replicas
share them). Leases last two seconds here, so take-overs are quick; every wait is on an observable
(the lease table, a position, the topic read back), with a generous deadline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from pydantic import SecretStr
from sqlalchemy import select

from demo.history import DemoHistory
from gateways.kafka.envelope import envelope
from gateways.kafka.gateway import Gateway, KafkaSink, published_position
from infra.bootstrap import Kentra, bootstrap
from infra.leases import database_now, worker_leases
from infra.settings import Settings
from tests.conftest import TEST_MASTER_KEY, Clock, service_url
from tests.fleet import tenants_file

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
TODAY = date(2025, 6, 1)
DEADLINE_SECONDS = 120  # generous: a loaded machine starts a replica slowly
LONG_INTERVAL = "600"  # no safety poll within the test: only NOTIFY (or a take-over) makes a follower look


class Fleet:
    """Municipalities of their own on the shared PostgreSQL (and a topic of their own), and their replicas."""

    def __init__(self, directory: Path, tenants: int, *, kafka: bool = False) -> None:
        self.directory = directory
        self.ids = [f"lease-{uuid4().hex[:10]}" for _ in range(tenants)]
        self.topic = f"kentra.events.test.{uuid4().hex[:8]}"
        self.servers = service_url("KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS") if kafka else None
        self.urls = {
            "KENTRA_DATABASE_URL": service_url("KENTRA_TEST_DATABASE_URL"),
            "KENTRA_DATABASE_OWNER_URL": service_url("KENTRA_TEST_DATABASE_OWNER_URL"),
        }
        self.settings = Settings(
            data_dir=directory,
            master_key=SecretStr(TEST_MASTER_KEY),
            tenants_file=tenants_file(directory, self.ids, shipped=False),
            database_url=SecretStr(self.urls["KENTRA_DATABASE_URL"]),
            database_owner_url=SecretStr(self.urls["KENTRA_DATABASE_OWNER_URL"]),
            kafka_bootstrap_servers=self.servers,
            kafka_topic=self.topic,
            worker_lease_seconds=2.0,
        )
        self.kentra: Kentra = bootstrap(self.settings, today=Clock(TODAY))
        self.kentra.provision_platform()
        self.commands = {}
        for tid in self.ids:
            self.kentra.provision(tid)
            self.commands[tid] = list(DemoHistory(self.kentra.registry.tenant(tid), TODAY).commands())
        self.recorded = dict.fromkeys(self.ids, 0)
        self.replicas: list[subprocess.Popen[bytes]] = []

    def record(self, commands: int) -> None:
        """The next commands of each municipality's demo history."""
        for tid in self.ids:
            start = self.recorded[tid]
            self.kentra.casework(tid).execute_many(self.commands[tid][start : start + commands])
            self.recorded[tid] = start + commands

    def head(self, tid: str) -> int:
        return self.kentra.casework(tid).recorder.max_notification_id() or 0

    def start(self, *command: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            **self.urls,
            "KENTRA_DATA_DIR": str(self.directory),
            "KENTRA_MASTER_KEY": TEST_MASTER_KEY,
            "KENTRA_TENANTS_FILE": str(self.settings.tenants_file),
            "KENTRA_WORKER_LEASE_SECONDS": "2",
            "KENTRA_KAFKA_BOOTSTRAP_SERVERS": self.servers or "",
            "KENTRA_KAFKA_TOPIC": self.topic,
        }
        log = (self.directory / f"replica-{len(self.replicas)}.log").open("wb")
        replica = subprocess.Popen(
            [sys.executable, "-m", "gateways.cli", *command], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        self.replicas.append(replica)
        return replica

    def holders(self, kind: str) -> dict[str, int | None]:
        """Which replica (by process id) holds each municipality's lease now, by the database's clock."""
        leases = worker_leases.c
        with self.kentra.accounts.engine.connect() as conn:
            now = database_now(conn)
            rows = conn.execute(
                select(leases.tenant_id, leases.holder, leases.expires_at).where(
                    leases.kind == kind, leases.tenant_id.in_(self.ids)
                )
            ).all()
        held: dict[str, int | None] = dict.fromkeys(self.ids)
        for tid, holder, expires_at in rows:
            if holder is not None and expires_at > now:
                held[tid] = int(holder.split(":")[-2])
        return held

    def shares(self, kind: str) -> Counter[int | None]:
        return Counter(self.holders(kind).values())

    def eventually(self, check: Callable[[], bool], what: str) -> None:
        """Until ``check`` holds; fails with the replicas' logs if the deadline passes or one of them ends."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            ended = [r for r in self.replicas if r.poll() is not None and r.returncode != -signal.SIGKILL]
            if ended:
                pytest.fail(f"a replica ended ({ended[0].returncode}) before {what}:\n{self.logs()}")
            if check():
                return
            time.sleep(0.2)  # the pace of looking, not a synchronisation: the check decides
        pytest.fail(f"not within {DEADLINE_SECONDS}s: {what}\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.directory.glob("replica-*.log")))

    def folded(self) -> bool:
        return all(self.kentra.views(tid).position() == self.head(tid) for tid in self.ids)

    def published(self) -> bool:
        return all(published_position(self.kentra, tid) == self.head(tid) for tid in self.ids)

    def expected(self) -> Counter[tuple[str, int]]:
        """Each position of each log the gateway must publish, once."""
        wanted: Counter[tuple[str, int]] = Counter()
        for tid in self.ids:
            casework, tenant = self.kentra.casework(tid), self.kentra.registry.tenant(tid)
            notifications = casework.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False)
            for n in notifications:
                event = casework.mapper.to_domain_event(n)
                if envelope(tenant, n.id, event, self.kentra.keys(tenant).pseudonym, casework.vault.unseal):
                    wanted[(tid, n.id)] += 1
        return wanted

    def on_topic(self) -> Counter[tuple[str, int]]:
        """Each (municipality, position) on the topic, as often as it is there."""
        consumer = KafkaConsumer(bootstrap_servers=self.servers, group_id=None, enable_auto_commit=False)
        try:
            partitions = [TopicPartition(self.topic, p) for p in consumer.partitions_for_topic(self.topic) or []]
            consumer.assign(partitions)
            consumer.seek_to_beginning()
            ends = consumer.end_offsets(partitions)
            found: Counter[tuple[str, int]] = Counter()
            while any(consumer.position(tp) < ends[tp] for tp in partitions):
                for records in consumer.poll(timeout_ms=1000).values():
                    for record in records:
                        found[(record.key.decode(), int(json.loads(record.value)["position"]))] += 1
            return found
        finally:
            consumer.close()

    def close(self) -> None:
        for replica in self.replicas:
            if replica.poll() is None:
                os.kill(replica.pid, signal.SIGCONT)
                replica.kill()
                replica.wait(timeout=30)
        self.kentra.close()


@pytest.fixture
def fleet_of(tmp_path: Path) -> Iterator[Callable[..., Fleet]]:
    made: list[Fleet] = []

    def make(tenants: int, *, kafka: bool = False) -> Fleet:
        made.append(Fleet(tmp_path, tenants, kafka=kafka))
        return made[-1]

    yield make
    for fleet in made:
        fleet.close()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Two municipalities, two `projections run` and two `gateway run` replicas, all started at once (a
    replica takes seconds to start on a loaded machine; and each holds connections per tenant it follows,
    so the fleet is kept small on the shared server)."""
    made = Fleet(tmp_path_factory.mktemp("leases"), 2, kafka=True)
    for _ in range(2):
        made.start("projections", "run", "--interval", LONG_INTERVAL)
    for _ in range(2):
        made.start("gateway", "run", "--batch", "2", "--interval", LONG_INTERVAL)
    yield made
    made.close()


def replicas_of(fleet: Fleet, command: str) -> list[subprocess.Popen[bytes]]:
    return [r for r in fleet.replicas if isinstance(r.args, list) and command in r.args]


def one_each(fleet: Fleet, kind: str, *replicas: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: fleet.shares(kind) == Counter({r.pid: 1 for r in replicas})


def stop(fleet: Fleet, replica: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as Kubernetes stops a pod; the replica leaves the fleet."""
    replica.send_signal(signal.SIGTERM)
    code = replica.wait(timeout=DEADLINE_SECONDS)
    fleet.replicas.remove(replica)
    return code


def test_projections_replicas_split_the_tenants_wake_on_new_events_and_take_over_a_killed_ones(fleet: Fleet) -> None:
    first, second = replicas_of(fleet, "projections")
    fleet.eventually(one_each(fleet, "projections", first, second), "two replicas hold a tenant each")
    fleet.record(8)  # nobody polls within the test: only the notification wakes the holders
    fleet.eventually(fleet.folded, "new events folded by their holders on the notification")

    (lost,) = [tid for tid, pid in fleet.holders("projections").items() if pid == second.pid]
    second.kill()
    fleet.eventually(lambda: fleet.shares("projections") == Counter({first.pid: 2}), "the killed one's tenant taken")
    fleet.record(4)
    fleet.eventually(fleet.folded, "the taken tenant followed")
    assert fleet.kentra.views(lost).position() == fleet.head(lost)

    assert stop(fleet, first) == 0
    assert fleet.shares("projections") == Counter({None: 2})  # given back on a clean stop, not left to expire


def test_gateway_replicas_paused_or_killed_publish_each_position_once(fleet: Fleet) -> None:
    paused, other = replicas_of(fleet, "gateway")
    fleet.eventually(one_each(fleet, "gateway", paused, other), "two replicas hold a tenant each")
    fleet.record(10)
    fleet.eventually(fleet.published, "every log published")

    os.kill(paused.pid, signal.SIGSTOP)
    fleet.eventually(lambda: fleet.shares("gateway") == Counter({other.pid: 2}), "the paused one's lease taken")
    fleet.record(10)
    fleet.eventually(fleet.published, "the new events published by the replica that holds them now")
    os.kill(paused.pid, signal.SIGCONT)
    fleet.eventually(one_each(fleet, "gateway", paused, other), "the resumed one takes a share again")
    assert fleet.on_topic() == fleet.expected()  # the resumed one sent nothing under its lost lease

    (theirs,) = [tid for tid, pid in fleet.holders("gateway").items() if pid == paused.pid]
    fleet.record(60)
    fleet.eventually(lambda: 0 < published_position(fleet.kentra, theirs) < fleet.head(theirs), "mid-stream")
    paused.kill()
    fleet.eventually(fleet.published, "every log published, the killed replica's by the other")
    assert fleet.shares("gateway") == Counter({other.pid: 2})
    assert fleet.on_topic() == fleet.expected()  # nothing missed, nothing twice
    assert stop(fleet, other) == 0


class KilledError(Exception):
    """The gateway's process ends between the broker's acknowledgement and the position's move."""


class DiesBeforeMoving(Gateway):
    def _advance(self, tenant_id: str, start: int, to: int, fence: Any = None) -> None:
        raise KilledError


def test_the_next_holder_starts_after_a_batch_the_killed_one_sent_but_never_marked(
    fleet_of: Callable[..., Fleet],
) -> None:
    fleet = fleet_of(1, kafka=True)
    (tid,) = fleet.ids
    admin = KafkaAdminClient(bootstrap_servers=fleet.servers)
    try:  # partitions keyed by tenant, as `kentra kafka init` makes them: the mark must find the tenant's
        admin.create_topics([NewTopic(fleet.topic, num_partitions=6, replication_factor=1)])
    finally:
        admin.close()
    fleet.record(30)

    def sink() -> KafkaSink:
        return KafkaSink(fleet.kentra.kafka_producer(), topic=fleet.topic, reader=fleet.kentra.kafka_reader())

    killed = DiesBeforeMoving(fleet.kentra, sink(), batch=20)
    assert killed.take_over(tid, ("gateway", 1))
    with pytest.raises(KilledError):
        killed.publish(tid, fence=("gateway", 1))
    assert published_position(fleet.kentra, tid) == 0  # sent, not marked as sent
    assert fleet.on_topic()

    successor = Gateway(fleet.kentra, sink(), batch=20)
    assert successor.take_over(tid, ("gateway", 2))
    successor.catch_up(tid, fence=("gateway", 2))
    assert fleet.on_topic() == fleet.expected()

    fleet.record(10)  # the killed one, had it only been paused, comes back with its old token
    resumed = Gateway(fleet.kentra, sink(), batch=20)
    assert resumed.publish(tid, fence=("gateway", 1)) == 0
    assert not resumed.take_over(tid, ("gateway", 1))
    assert published_position(fleet.kentra, tid) < fleet.head(tid)
    successor.catch_up(tid, fence=("gateway", 2))
    assert fleet.on_topic() == fleet.expected()
