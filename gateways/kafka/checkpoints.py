"""Signed checkpoints on ``kentra.checkpoints.v1``: published by the gateway, read back by ``audit verify``.

The topic is the copy outside the tenant's database: deleting the stored checkpoints does not
delete these, so ``verify`` notices. Keyed by tenant; each message is a checkpoint as a JSON object.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from kafka import TopicPartition

from infra.kafka import kafka_reader
from projections.audit import AuditChain, Checkpoint

CHECKPOINT_TOPIC = "kentra.checkpoints.v1"
log = logging.getLogger("kentra.gateway")


class CheckpointSink(Protocol):
    def send(self, tenant_id: str, envelopes: list[dict[str, object]]) -> None: ...


def publish_checkpoints(chain: AuditChain, sink: CheckpointSink) -> int:
    """Send the checkpoints not yet published; they are marked only once the broker acknowledged."""
    pending = chain.checkpoints(unpublished=True)
    if pending:
        sink.send(chain.tenant_id, [c.as_dict() for c in pending])  # raises unless acknowledged
        chain.mark_published(pending)
    return len(pending)


def read_published(
    reader: Any, tenant_id: str, *, topic: str = CHECKPOINT_TOPIC, timeout_ms: int = 10_000
) -> list[Checkpoint]:
    """Every checkpoint of ``tenant_id`` on the topic, oldest first (none if the topic does not exist).

    ``reader`` is a consumer of no group (``Kentra.kafka_reader()``), closed here once read; the
    bootstrap servers are still taken, for callers that predate it, and get the production one.
    """
    consumer = kafka_reader(reader, timeout_ms=timeout_ms) if isinstance(reader, str) else reader
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not assigned:
            return []
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        ends = consumer.end_offsets(assigned)
        found: list[Checkpoint] = []
        while any(consumer.position(tp) < ends[tp] for tp in assigned):
            batches = consumer.poll(timeout_ms=timeout_ms)
            if not batches:
                raise TimeoutError(f"{topic} did not deliver its messages in time")
            for records in batches.values():
                for record in records:
                    if record.key != tenant_id.encode():
                        continue
                    try:
                        found.append(Checkpoint.from_dict(json.loads(record.value)))
                    except (ValueError, KeyError, TypeError):
                        log.warning("a malformed message at offset %s of %s skipped", record.offset, topic)
        return found
    finally:
        consumer.close()
