"""The regional roll-up's consumer: envelopes from the topic into each municipality's regional views."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any

from gateways.kafka.envelope import TOPIC
from infra.bootstrap import Kentra

log = logging.getLogger("kentra.rollup")
GROUP = "kentra-rollup"


class RollupConsumer:
    """A consumer group; offsets are committed only after the views took the batch (at least once).

    Give it a group member (``Kentra.kafka_consumer(group=..., topic=...)``, from the composition
    root). Bootstrap servers are still taken, for callers that predate it: the member is then made
    by the platform's consumer factory with ``group`` and ``topic``.
    """

    def __init__(self, kentra: Kentra, consumer: Any, *, group: str = GROUP, topic: str = TOPIC) -> None:
        self.kentra = kentra
        self.consumer = (
            kentra.kafka_consumer(group=group, topic=topic, servers=consumer) if isinstance(consumer, str) else consumer
        )
        self.partitions: list[int] = []  # this member's share of the topic, as the group last gave it

    def _note_assignment(self) -> None:
        """Log this member's partitions when the group changes them: which replica follows which tenants."""
        partitions = sorted(tp.partition for tp in self.consumer.assignment())
        if partitions != self.partitions:
            self.partitions = partitions
            log.info("partitions assigned to this member: %s", partitions or "none (the group is rebalancing)")

    def poll_once(self, timeout_ms: int = 500) -> int:
        records = self.consumer.poll(timeout_ms=timeout_ms)
        self._note_assignment()
        by_tenant: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for batch in records.values():
            for record in batch:
                by_tenant[record.value["tenant"]].append(record.value)
        applied = 0
        known = {t.id for t in self.kentra.registry.tenants}
        for tenant_id, envelopes in by_tenant.items():
            if tenant_id not in known:
                log.warning("envelopes of unknown tenant %s skipped", tenant_id)
                continue
            applied += self.kentra.regional(tenant_id).apply(envelopes)
        if records:
            self.consumer.commit()
        return applied

    def caught_up(self) -> bool:
        """Whether this member has partitions and has read each to its end (its share of the topic).

        False while the group is still rebalancing, e.g. waiting out a killed member's session.
        """
        assigned = list(self.consumer.assignment())
        if not assigned:
            return False
        ends = self.consumer.end_offsets(assigned)
        return all(self.consumer.position(partition) >= ends[partition] for partition in assigned)

    def run(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            self.poll_once()

    def close(self) -> None:
        self.consumer.close()
