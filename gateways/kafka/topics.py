"""The two topics as production runs them, made and kept by ``kentra kafka init`` (issue 22).

- ``kentra.events.v1``: partitions keyed by tenant (12 by default, so up to 12 roll-up members share
  the work), seven days' retention. The roll-up applies each envelope once and can be rebuilt from
  the municipalities' own logs (``kentra gateway replay``), so the topic is a delivery queue, not a
  record; a week covers a roll-up that is down over a long weekend, and pseudonymised envelopes of
  a person since erased do not stay longer than that.
- ``kentra.checkpoints.v1``: never deleted (``retention.ms=-1``, ``retention.bytes=-1``) with
  ``cleanup.policy=delete``, not ``compact``: compaction keeps only the last message of each key
  (the tenant), and ``audit verify`` compares every checkpoint ever published with the chain.

Both get ``min.insync.replicas`` from the settings, which with ``acks=all`` says how many copies a
write has before the gateway moves its position, and ``unclean.leader.election.enable=false``, so a
replica that missed writes never becomes the leader and loses them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import UnknownTopicOrPartitionError, for_code
from pydantic import model_validator

from infra.settings import Settings

SETTLE_SECONDS = 30.0
DAY_MS = 86_400_000
EVENTS_RETENTION_MS = 7 * DAY_MS
# Retention deletes whole closed segments only: one a day, so nothing outlives the week by more than a day.
EVENTS_SEGMENT_MS = DAY_MS


class TopicSettings(Settings):
    """The settings as ``kentra kafka init`` reads them: the Kafka ones, without the stores' refusals.

    Outside development ``Settings`` refuses to load without a database URL, a master key and a
    token secret. ``kafka init`` uses none of them, so the Job that runs it needs none of those
    secrets (least privilege); the bounds of every value are still checked.
    """

    @model_validator(mode="after")
    def _safe_outside_development(self) -> TopicSettings:  # replaces Settings' check of the same name
        return self


class TopicSettingsError(ValueError):
    """Settings no topic can satisfy (say, more in-sync replicas required than replicas)."""


@dataclass(frozen=True)
class TopicSpec:
    """A topic as it must be: partitions (at least), replication factor, and the configs that matter."""

    name: str
    partitions: int
    replication_factor: int
    configs: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        configs = " ".join(f"{key}={value}" for key, value in self.configs)
        return f"{self.partitions} partitions, replication factor {self.replication_factor}, {configs}"


@dataclass
class TopicReport:
    """What ``ensure_topics`` found and did for one topic; ``ok`` False means the exit is non-zero."""

    name: str
    action: str  # created, unchanged, altered, missing, differs, refused
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.action in {"created", "unchanged", "altered"}

    def __str__(self) -> str:
        return f"{self.name}: {self.action}" + "".join(f"\n  - {note}" for note in self.notes)


def topic_specs(
    *, events: str, checkpoints: str, partitions: int, replication_factor: int, min_insync_replicas: int
) -> tuple[TopicSpec, TopicSpec]:
    """The events and checkpoint topics from the settings (``kafka_*``); refuses settings that cannot hold."""
    if events == checkpoints:
        raise TopicSettingsError(
            f"KENTRA_KAFKA_TOPIC and KENTRA_KAFKA_CHECKPOINT_TOPIC both name {events}: the events are kept a week, "
            "the checkpoints for ever"
        )
    if min_insync_replicas > replication_factor:
        raise TopicSettingsError(
            f"KENTRA_KAFKA_MIN_INSYNC_REPLICAS={min_insync_replicas} is above "
            f"KENTRA_KAFKA_REPLICATION_FACTOR={replication_factor}: no write with acks=all could succeed"
        )
    common = (("min.insync.replicas", str(min_insync_replicas)), ("unclean.leader.election.enable", "false"))
    return (
        TopicSpec(
            events,
            partitions,
            replication_factor,
            (
                ("cleanup.policy", "delete"),
                ("retention.ms", str(EVENTS_RETENTION_MS)),
                ("retention.bytes", "-1"),
                ("segment.ms", str(EVENTS_SEGMENT_MS)),
                *common,
            ),
        ),
        TopicSpec(
            checkpoints,
            # Read whole by `audit verify`; more partitions only spread the tenants, never needed in order.
            partitions,
            replication_factor,
            (("cleanup.policy", "delete"), ("retention.ms", "-1"), ("retention.bytes", "-1"), *common),
        ),
    )


def ensure_topics(admin: Any, specs: tuple[TopicSpec, ...], *, check_only: bool = False) -> list[TopicReport]:
    """Create what is missing and bring what differs to ``specs`` where Kafka allows; report the rest.

    ``admin`` is a ``KafkaAdminClient`` (``infra.kafka.kafka_admin``). Partitions are only ever added
    and configs set; a replication factor below the settings is reported, as changing it needs a
    reassignment of replicas to brokers. ``check_only`` changes nothing and reports what it would do.
    """
    brokers = len(admin.describe_cluster()["brokers"])
    return [_ensure(admin, spec, brokers, check_only) for spec in specs]


def _ensure(admin: Any, spec: TopicSpec, brokers: int, check_only: bool) -> TopicReport:
    (described,) = admin.describe_topics([spec.name])
    error = for_code(described["error_code"])
    if error is UnknownTopicOrPartitionError:
        return _create(admin, spec, brokers, check_only)
    if described["error_code"]:
        raise error(f"describing {spec.name}")
    report = TopicReport(spec.name, "unchanged")
    partitions = len(described["partitions"])
    replicas = min(len(p["replica_nodes"]) for p in described["partitions"])
    if replicas < spec.replication_factor:
        report.action = "refused"
        report.notes.append(
            f"replication factor {replicas}, the settings ask {spec.replication_factor} "
            "(KENTRA_KAFKA_REPLICATION_FACTOR): Kafka cannot change it by configuration; move replicas "
            "with kafka-reassign-partitions.sh (Strimzi: KafkaRebalance) and run `kentra kafka init` again"
        )
    elif replicas > spec.replication_factor:
        report.notes.append(f"replication factor {replicas}, above the {spec.replication_factor} asked: kept")
    if partitions < spec.partitions:
        report.notes.append(
            f"partitions {partitions} -> {spec.partitions}: each tenant may move to another partition; "
            "envelopes not yet consumed can then be applied after newer ones (docs/operations.md, Kafka topics)"
        )
        if not check_only:
            admin.create_partitions({spec.name: spec.partitions})
    elif partitions > spec.partitions:
        report.notes.append(f"{partitions} partitions, more than the {spec.partitions} asked: kept (never removed)")
    current = _configs(admin, spec)
    inherited = _inherited(admin, spec)
    # A value the topic only inherits is set on it too: a later change of the brokers' defaults must not move it.
    changes = {key: value for key, value in spec.configs if current.get(key) != value or key in inherited}
    for key, value in changes.items():
        was = current.get(key)
        report.notes.append(
            f"{key} {was} -> {value}" if was != value else f"{key}={value} set on the topic (inherited)"
        )
    if changes and not check_only:
        result = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=changes)])
        outcome = result["topic"][spec.name]
        if outcome != "OK":
            report.action = "refused"
            report.notes.append(f"the broker refused the configs: {outcome}")
    if report.action == "unchanged" and (changes or partitions < spec.partitions):
        report.action = "differs" if check_only else "altered"
    if not check_only and (changes or partitions < spec.partitions) and not _settled(admin, spec):
        report.action = "refused"
        report.notes.append(f"the brokers still did not show the change after {SETTLE_SECONDS:.0f} s")
    return report


def _settled(admin: Any, spec: TopicSpec) -> bool:
    """Whether the brokers show the partitions and configs asked for (they apply a change moments later).

    So that once ``kentra kafka init`` returns, a gateway or ``init --check`` started next sees the topic
    as it was made.
    """
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        (described,) = admin.describe_topics([spec.name])
        current = _configs(admin, spec)
        settled = all(current.get(k) == v for k, v in spec.configs) and not _inherited(admin, spec)
        if len(described["partitions"]) >= spec.partitions and settled:
            return True
        time.sleep(0.1)
    return False


def _create(admin: Any, spec: TopicSpec, brokers: int, check_only: bool) -> TopicReport:
    if spec.replication_factor > brokers:
        return TopicReport(
            spec.name,
            "refused",
            [
                f"replication factor {spec.replication_factor} (KENTRA_KAFKA_REPLICATION_FACTOR) needs as many "
                f"brokers; the cluster has {brokers}"
            ],
        )
    if check_only:
        return TopicReport(spec.name, "missing", [f"would be created: {spec.describe()}"])
    admin.create_topics(
        {
            spec.name: {
                "num_partitions": spec.partitions,
                "replication_factor": spec.replication_factor,
                "configs": dict(spec.configs),
            }
        },
        wait_for_metadata=True,  # the gateway started next finds every partition with a leader
    )
    return TopicReport(spec.name, "created", [spec.describe()])


def _inherited(admin: Any, spec: TopicSpec) -> set[str]:
    """The configs ``spec`` names that the topic takes from the brokers' defaults, not its own."""
    wanted = ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=dict.fromkeys(key for key, _ in spec.configs))
    described = admin.describe_configs([wanted], config_filter="all")["topic"][spec.name]
    return {key for key, entry in described.items() if entry["config_source"] != "DYNAMIC_TOPIC_CONFIG"}


def _configs(admin: Any, spec: TopicSpec) -> dict[str, str]:
    """The topic's effective values of the configs ``spec`` names (set on the topic or the broker's default)."""
    wanted = ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=dict.fromkeys(key for key, _ in spec.configs))
    described = admin.describe_configs([wanted], config_filter="all")["topic"][spec.name]
    return {key: entry["value"] for key, entry in described.items()}
