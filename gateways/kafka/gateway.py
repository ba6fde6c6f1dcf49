"""The gateway: each tenant's log, in order, to the topic; the position moves only once delivered."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from kafka.errors import KafkaError

from domain.undecodable import decodable
from gateways.kafka.envelope import TOPIC, envelope
from infra.bootstrap import Kentra
from infra.kafka import kafka_producer

log = logging.getLogger("kentra.gateway")
POSITION = "gateway:" + TOPIC


class Sink(Protocol):
    def send(self, tenant_id: str, envelopes: list[dict[str, Any]]) -> None:
        """Deliver, or raise: returning means every envelope was acknowledged."""
        ...


class DirectSink:
    """The embedded default without Kafka: envelopes go straight to the regional roll-up in process."""

    def __init__(self, kentra: Kentra) -> None:
        self.kentra = kentra

    def send(self, tenant_id: str, envelopes: list[dict[str, Any]]) -> None:
        if envelopes:
            self.kentra.regional(tenant_id).apply(envelopes)


class Producer(Protocol):
    """What the sink needs of a Kafka producer (``infra.kafka.kafka_producer`` makes the real one)."""

    def send(self, topic: str, *, key: str, value: dict[str, Any]) -> Any: ...
    def flush(self, timeout: float | None = None) -> None: ...
    def close(self, timeout: float | None = None) -> None: ...


class KafkaSink:
    """Keyed by tenant so each tenant's order is kept; returns only once the broker acknowledged all.

    Give it a producer (``Kentra.kafka_producer``, from the composition root); bootstrap servers
    are still taken, for callers that predate it, and get the production producer.
    """

    def __init__(self, producer: Producer | str, *, topic: str = TOPIC, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.topic = topic
        self.producer: Producer = kafka_producer(producer, timeout=timeout) if isinstance(producer, str) else producer

    def send(self, tenant_id: str, envelopes: list[dict[str, Any]]) -> None:
        futures = [self.producer.send(self.topic, key=tenant_id, value=item) for item in envelopes]
        self.producer.flush(timeout=self.timeout)
        for future in futures:
            future.get(timeout=self.timeout)  # raises if the broker did not acknowledge

    def close(self) -> None:
        """Let go of the producer. Records it could not deliver are not lost: the position did not move."""
        try:
            self.producer.close(timeout=5)
        except KafkaError as error:  # the broker is away and records were pending
            log.warning(
                "producer closed with undelivered records (%s); they will be published again", type(error).__name__
            )


class Gateway:
    """Publishes each tenant's log in order through a sink; the position moves only once delivered."""

    def __init__(self, kentra: Kentra, sink: Sink, *, batch: int = 1000) -> None:
        self.kentra = kentra
        self.sink = sink
        self.batch = batch

    def position(self, tenant_id: str) -> int:
        return published_position(self.kentra, tenant_id)

    def publish(self, tenant_id: str) -> int:
        """Publish the next batch of a tenant's log; returns how many log events it covered."""
        casework = self.kentra.casework(tenant_id)
        tenant = self.kentra.registry.tenant(tenant_id)
        keys = self.kentra.keys(tenant)
        region_link = self.kentra.region_link(tenant)
        link = region_link.link if region_link else None
        start = self.position(tenant_id)
        notifications = casework.recorder.select_notifications(start=start, limit=self.batch, inclusive_of_start=False)
        if not notifications:
            return 0
        envelopes = []
        decoded, _ = decodable(
            lambda n: (n.id, casework.mapper.to_domain_event(n)), notifications, reader="kafka gateway"
        )
        for position, event in decoded:
            item = envelope(tenant, position, event, keys.pseudonym, casework.vault.unseal, link=link)
            if item is not None:
                envelopes.append(item)
        self.sink.send(tenant_id, envelopes)  # raises unless acknowledged: the position stays
        self._advance(tenant_id, start, notifications[-1].id)
        return len(notifications)

    def replay(self, tenant_id: str) -> int:
        """Publish the tenant's log again from the start on the next run; returns the position forgotten.

        For a Region's roll-up emptied to be rebuilt (a new linkage key changes every link): a store
        that was not emptied takes nothing from the replay, as each envelope is applied once.
        """
        forgotten = self.position(tenant_id)
        if forgotten:
            self.kentra.positions(tenant_id).reset(POSITION)
        return forgotten

    def catch_up(self, tenant_id: str) -> int:
        done = 0
        while published := self.publish(tenant_id):
            done += published
        return done

    def _advance(self, tenant_id: str, start: int, to: int) -> None:
        if not self.kentra.positions(tenant_id).advance(POSITION, start, to):
            log.warning("another gateway moved %s meanwhile; it published the same batch", tenant_id)


def published_position(kentra: Kentra, tenant_id: str) -> int:
    """How far the tenant's log was published (delivered and acknowledged)."""
    return kentra.positions(tenant_id).get(POSITION)
