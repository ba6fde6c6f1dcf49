"""The Kafka clients, configured once: the composition root hands them to the gateways.

``kafka-python`` is imported only when a client is made, so commands that never speak to a broker
do not load it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# Each takes the bootstrap servers first; the rest are keywords (see the defaults below).
ProducerFactory = Callable[..., Any]
ConsumerFactory = Callable[..., Any]


def kafka_producer(bootstrap_servers: str, *, timeout: float = 30.0) -> Any:
    """acks=all and idempotent, retried without end: the gateway's position moves only once acknowledged.

    Keyed records go to murmur2(key) modulo the topic's partitions (the default partitioner, the
    Java client's too): every record of one tenant lands in one partition, in the order sent. Topics
    are made by ``kentra kafka init``; production brokers refuse to auto-create them
    (``auto.create.topics.enable=false``), so a gateway started before it retries until they exist.
    """
    from kafka import KafkaProducer  # noqa: PLC0415 - only a process that publishes loads the client

    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        retries=2**31 - 1,
        max_in_flight_requests_per_connection=5,
        linger_ms=5,
        request_timeout_ms=int(timeout * 1000),
        bootstrap_timeout_ms=5000,  # a broker that is away is retried by the caller; SIGTERM is not held up
        key_serializer=str.encode,
        value_serializer=lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True).encode(),
    )


def kafka_group_consumer(bootstrap_servers: str, *, group: str, topic: str) -> Any:
    """A member of ``group`` on ``topic``; offsets are committed by the caller, after it applied a batch."""
    from kafka import KafkaConsumer  # noqa: PLC0415 - only a process that consumes loads the client

    return KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=group,
        # Never make the topic with the broker's defaults. kafka-python 3.0.12 does not pass this on to
        # its metadata (the broker's auto.create.topics.enable=false is the guard that holds).
        allow_auto_create_topics=False,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        value_deserializer=lambda raw: json.loads(raw.decode()),
        max_poll_records=500,
        bootstrap_timeout_ms=5000,
    )


def kafka_reader(bootstrap_servers: str, *, timeout_ms: int = 10_000) -> Any:
    """A consumer of no group, to assign partitions to and read from their beginning (audit verify)."""
    from kafka import KafkaConsumer  # noqa: PLC0415 - only a process that reads a topic loads the client

    return KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        allow_auto_create_topics=False,  # as above: reading must not make a checkpoint topic of 7 days
        enable_auto_commit=False,
        request_timeout_ms=max(timeout_ms, 5_000) + 1_000,
    )


def kafka_admin(bootstrap_servers: str, *, timeout_ms: int = 30_000) -> Any:
    """An admin client for ``kentra kafka init``: creates and alters the topics, reads their configs."""
    from kafka.admin import KafkaAdminClient  # noqa: PLC0415 - only `kentra kafka` loads the admin client

    return KafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        client_id="kentra-kafka-init",
        request_timeout_ms=timeout_ms,
    )
