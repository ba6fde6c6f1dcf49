"""The harness's Apache Kafka broker (KRaft) accepts, keeps and returns messages in order."""

from __future__ import annotations

from uuid import uuid4

import pytest
from kafka import KafkaConsumer, KafkaProducer

from tests.conftest import service_url

pytestmark = pytest.mark.integration


def test_the_broker_returns_acknowledged_messages_in_order() -> None:
    servers = service_url("KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS")
    topic = f"kentra.harness.{uuid4().hex[:8]}"
    producer = KafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True)
    for n in range(20):
        producer.send(topic, key=b"sofades", value=str(n).encode()).get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=15_000,
        group_id=f"harness-{uuid4().hex[:8]}",
    )
    received = [int(message.value) for message in consumer]
    consumer.close()
    assert received == list(range(20))
