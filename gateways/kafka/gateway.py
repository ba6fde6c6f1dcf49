"""The gateway: each tenant's log, in order, to the topic; the position moves only once delivered."""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from kafka import KafkaProducer
from kafka.errors import KafkaError
from sqlalchemy import insert, select, update

from domain.undecodable import decodable
from gateways.kafka.envelope import TOPIC, envelope
from infra.bootstrap import Kentra
from projections.tables import positions

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


class KafkaSink:
    """acks=all and an idempotent producer, keyed by tenant so each tenant's order is kept."""

    def __init__(self, bootstrap_servers: str, *, topic: str = TOPIC, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.topic = topic
        self.producer = KafkaProducer(
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
    def __init__(self, kentra: Kentra, sink: Sink, *, batch: int = 1000) -> None:
        self.kentra = kentra
        self.sink = sink
        self.batch = batch

    def position(self, tenant_id: str) -> int:
        views = self.kentra.views(tenant_id)
        with views.engine.connect() as conn:
            row = conn.execute(select(positions.c.position).where(positions.c.view == POSITION)).first()
        return 0 if row is None else int(row[0])

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
            with self.kentra.views(tenant_id).engine.begin() as conn:
                conn.execute(update(positions).where(positions.c.view == POSITION).values(position=0))
        return forgotten

    def catch_up(self, tenant_id: str) -> int:
        done = 0
        while published := self.publish(tenant_id):
            done += published
        return done

    def _advance(self, tenant_id: str, start: int, to: int) -> None:
        views = self.kentra.views(tenant_id)
        with views.engine.begin() as conn:
            moved = conn.execute(
                update(positions).where(positions.c.view == POSITION, positions.c.position == start).values(position=to)
            ).rowcount
            if moved == 0 and start == 0:
                conn.execute(insert(positions).values(view=POSITION, position=to))
            elif moved == 0:
                log.warning("another gateway moved %s meanwhile; it published the same batch", tenant_id)
