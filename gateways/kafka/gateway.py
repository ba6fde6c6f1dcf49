"""The gateway: each tenant's log, in order, to the topic; the position moves only once delivered."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from kafka.errors import KafkaError

from domain.undecodable import decodable
from gateways.kafka.envelope import TOPIC, envelope
from gateways.kafka.inflight import INFLIGHT, end_of, highest_published, partition_of
from infra.bootstrap import Kentra
from infra.kafka import kafka_producer
from infra.leases import Leases
from infra.positions import Fence

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

    def mark(self, tenant_id: str) -> tuple[int, int] | None:
        """Nothing to mark: the roll-up applies each envelope once, so a batch sent again counts once."""
        return None


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

    def __init__(
        self, producer: Producer | str, *, topic: str = TOPIC, timeout: float = 30.0, reader: Any = None
    ) -> None:
        self.timeout = timeout
        self.topic = topic
        self.producer: Producer = kafka_producer(producer, timeout=timeout) if isinstance(producer, str) else producer
        self.reader = reader  # a consumer of no group: given, batches are marked (``gateways/kafka/inflight.py``)

    def mark(self, tenant_id: str) -> tuple[int, int] | None:
        """The tenant's partition and its end before a batch is sent (None without a reader)."""
        if self.reader is None:
            return None
        partition = partition_of(self.producer, self.topic, tenant_id)
        return partition, end_of(self.reader, self.topic, partition)

    def highest_published(self, tenant_id: str, partition: int, offset: int) -> int:
        """The tenant's highest position on its partition since ``offset`` (what a killed holder sent)."""
        timeout_ms = int(self.timeout * 1000)
        return highest_published(self.reader, self.topic, partition, offset, tenant_id=tenant_id, timeout_ms=timeout_ms)

    def send(self, tenant_id: str, envelopes: list[dict[str, Any]]) -> None:
        futures = [self.producer.send(self.topic, key=tenant_id, value=item) for item in envelopes]
        self.producer.flush(timeout=self.timeout)
        for future in futures:
            future.get(timeout=self.timeout)  # raises if the broker did not acknowledge

    def close(self) -> None:
        """Let go of the producer. Records it could not deliver are not lost: the position did not move."""
        try:
            self.producer.close(timeout=5)
            if self.reader is not None:
                self.reader.close()
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

    def publish(self, tenant_id: str, *, fence: Fence | None = None) -> int:
        """Publish the next batch of a tenant's log; returns how many log events it covered.

        Under a lease, ``fence`` is its kind and token: the batch is marked and the position moved only
        while the token holds (a replica that lost the lease sends nothing and moves nothing)."""
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
        if fence is not None and not self._mark(tenant_id, fence):
            return 0
        self.sink.send(tenant_id, envelopes)  # raises unless acknowledged: the position stays
        self._advance(tenant_id, start, notifications[-1].id, fence)
        return len(notifications)

    def take_over(self, tenant_id: str, fence: Fence) -> bool:
        """Begin as the lease's new holder: write its token, then start after what a killed holder sent.

        False if a newer holder's token is there already. The token is written first, so the previous
        holder (paused, not dead) can no longer mark or move anything once this reads the partition.
        """
        positions = self.kentra.positions(tenant_id)
        if not positions.claim(fence):  # only if the lease table was emptied and its tokens began again
            log.warning("%s: a newer token than %d holds its position", tenant_id, fence[1])
            return False
        marks = positions.starting(INFLIGHT)
        highest = getattr(self.sink, "highest_published", None)
        if marks and highest is not None:
            sent = max(highest(tenant_id, int(name.removeprefix(INFLIGHT)), offset) for name, offset in marks.items())
            start = self.position(tenant_id)
            if sent > start:
                log.info("%s: %d events sent by the previous holder were acknowledged", tenant_id, sent - start)
            positions.advance(POSITION, start, max(start, sent), fence=fence, clear=INFLIGHT)
        return True

    def take_over_lease(self, tenant_id: str, leases: Leases) -> bool:
        """``take_over`` under a held lease; if the tenant's fence is newer than the lease's token (the
        lease table lost its rows and its tokens began again), the token is first moved past it.

        Without this the tenant would never be published again: every holder's claim would be refused."""
        if self.take_over(tenant_id, (leases.kind, leases.token(tenant_id))):
            return True
        fenced = self.kentra.positions(tenant_id).fence_token(leases.kind)
        token = leases.raise_token(tenant_id, fenced)
        if token is None:
            return False
        log.warning("%s: the lease's token was behind the tenant's fence (%d); moved to %d", tenant_id, fenced, token)
        return self.take_over(tenant_id, (leases.kind, token))

    def replay(self, tenant_id: str) -> int:
        """Publish the tenant's log again from the start on the next run; returns the position forgotten.

        For a Region's roll-up emptied to be rebuilt (a new linkage key changes every link): a store
        that was not emptied takes nothing from the replay, as each envelope is applied once.
        """
        forgotten = self.position(tenant_id)
        if forgotten:
            self.kentra.positions(tenant_id).reset(POSITION)
        return forgotten

    def catch_up(self, tenant_id: str, *, fence: Fence | None = None) -> int:
        """Publish batches until the tenant's log is all published (or the lease is lost)."""
        done = 0
        while published := self.publish(tenant_id, fence=fence):
            done += published
        return done

    def _mark(self, tenant_id: str, fence: Fence) -> bool:
        where = getattr(self.sink, "mark", lambda _: None)(tenant_id)
        if where is None:
            return True
        partition, offset = where
        if self.kentra.positions(tenant_id).mark(f"{INFLIGHT}{partition}", offset, fence=fence):
            return True
        log.warning("%s: lease lost to another gateway; nothing sent", tenant_id)
        return False

    def _advance(self, tenant_id: str, start: int, to: int, fence: Fence | None = None) -> None:
        if not self.kentra.positions(tenant_id).advance(POSITION, start, to, fence=fence, clear=INFLIGHT):
            log.warning("another gateway moved %s meanwhile; it published the same batch", tenant_id)


def published_position(kentra: Kentra, tenant_id: str) -> int:
    """How far the tenant's log was published (delivered and acknowledged)."""
    return kentra.positions(tenant_id).get(POSITION)
