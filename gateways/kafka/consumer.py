"""The regional roll-up's consumer: envelopes from the topic into each municipality's regional views."""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from typing import Any

from kafka import KafkaConsumer

from gateways.kafka.envelope import TOPIC
from infra.bootstrap import Kentra

log = logging.getLogger("kentra.rollup")
GROUP = "kentra-rollup"


class RollupConsumer:
    """A consumer group; offsets are committed only after the views took the batch (at least once)."""

    def __init__(self, kentra: Kentra, bootstrap_servers: str, *, group: str = GROUP, topic: str = TOPIC) -> None:
        self.kentra = kentra
        self.consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap_servers,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            value_deserializer=lambda raw: json.loads(raw.decode()),
            max_poll_records=500,
            bootstrap_timeout_ms=5000,
        )

    def poll_once(self, timeout_ms: int = 500) -> int:
        records = self.consumer.poll(timeout_ms=timeout_ms)
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
