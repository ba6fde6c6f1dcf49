"""A Region's municipalities as the consolidation takes them (``services.regions.regional_answer``).

Shared by the API, the pages and the CLI. Without Kafka (the embedded default) the gateway first
delivers each municipality's published events in process, so the Region's figures are current.
"""

from __future__ import annotations

from typing import Any

from domain.periods import Period
from gateways.kafka.gateway import DirectSink, Gateway
from infra.bootstrap import Kentra
from services.regions import Member, Municipality, regional_answer


def members(kentra: Kentra, region: str) -> list[Member]:
    """The region's tenants with a regional store, each with that store, delivered to when in process."""
    tenant_ids = [t.id for t in kentra.registry.tenants_of(region) if kentra.is_provisioned(t.id)]
    if not kentra.settings.kafka_bootstrap_servers:
        gateway = Gateway(kentra, DirectSink(kentra))
        for tenant_id in tenant_ids:
            # Requests run in threads: two deliveries of one tenant at once both found an event not
            # yet applied and both applied it (a UNIQUE violation, a 500). One at a time, per tenant.
            with kentra.lock(f"deliver:{tenant_id}"):
                gateway.catch_up(tenant_id)
    return [(Municipality(t, kentra.registry.tenant(t).name_el), kentra.regional(t)) for t in tenant_ids]


def consolidate(kentra: Kentra, region: str, period: Period) -> dict[str, Any]:
    """The Region's answer for a fixed period, wired from the platform's parts (access already checked)."""
    return regional_answer(region, period, members(kentra, region), kentra.regional_figures)
