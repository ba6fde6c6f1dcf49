"""Where a gateway's batch went on the topic, so that the next holder of the tenant does not send it twice.

Before a batch is sent, the gateway writes down the end of the tenant's partition (messages are keyed
by tenant, so all of a tenant's go to one partition). A replica killed after the broker took the batch
but before its position moved leaves that mark behind; the replica that takes the tenant over reads
the partition from the mark and starts after the highest position of the tenant it finds there.
"""

from __future__ import annotations

import json
from typing import Any

from kafka import TopicPartition
from kafka.errors import KafkaTimeoutError
from kafka.partitioner.default import murmur2

INFLIGHT = "gateway:inflight:"  # + the partition; the value is the partition's end offset before the batch


def partition_of(producer: Any, topic: str, tenant_id: str) -> int:
    """The partition the producer's default partitioner sends a tenant's messages to (murmur2 of the key,
    as the Java client); asking for the topic's partitions creates the topic where the broker allows it."""
    partitions = sorted(producer.partitions_for(topic))
    return int(partitions[(murmur2(tenant_id.encode()) & 0x7FFFFFFF) % len(partitions)])


def end_of(reader: Any, topic: str, partition: int) -> int:
    """The offset the next message of the partition will take."""
    tp = TopicPartition(topic, partition)
    return int(reader.end_offsets([tp])[tp])


def highest_published(reader: Any, topic: str, partition: int, offset: int, *, tenant_id: str, timeout_ms: int) -> int:
    """The highest log position of ``tenant_id`` on the partition from ``offset`` to its end (0 if none)."""
    tp = TopicPartition(topic, partition)
    end = end_of(reader, topic, partition)
    reader.assign([tp])
    reader.seek(tp, offset)
    key, highest = tenant_id.encode(), 0
    while reader.position(tp) < end:
        batches = reader.poll(timeout_ms=timeout_ms)
        if not batches:
            # A KafkaError, so `gateway run` retries as for any broker trouble instead of stopping.
            raise KafkaTimeoutError(f"{topic} did not deliver its messages in time")
        for records in batches.values():
            for record in records:
                if record.key == key and record.offset < end:
                    highest = max(highest, int(json.loads(record.value)["position"]))
    return highest
