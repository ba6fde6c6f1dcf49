"""A Region's municipalities as the consolidation takes them (``services.regions.regional_answer``).

Shared by the API, the pages and the CLI. Without Kafka (the embedded default) the gateway first
delivers each municipality's published events in process, so the Region's figures are current.
"""

from __future__ import annotations

from typing import Any

from domain.periods import Period
from gateways.kafka.gateway import DirectSink, Gateway
from infra.bootstrap import Kentra
from projections import queries
from services.regional_dashboard import Member as DashboardMember
from services.regional_dashboard import chosen_span, dashboard
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


def dashboard_members(joined: list[Member], kentra: Kentra) -> list[DashboardMember]:
    """The region's provisioned municipalities as the dashboard names them, from the tenant registry.

    A centre's first year is the year it opened, or (the registry not saying) the year of its earliest
    entry in the Region's store: "since opening" then starts where its figures do.
    """
    found = []
    for municipality, views in joined:
        tenant = kentra.registry.tenant(municipality.tenant)
        opened = tenant.opened_on or views.read(queries.earliest_entry_on)
        found.append(
            DashboardMember(
                tenant=tenant.id,
                name_el=tenant.name_el,
                operations=tuple((p.period, p.code) for p in tenant.programmes if p.code),
                opened_year=opened.year if opened else None,
                population=tenant.population.residents if tenant.population else None,
                population_source=tenant.population.source_el if tenant.population else None,
            )
        )
    return found


def region_dashboard(kentra: Kentra, region: str, code: str) -> dict[str, Any]:
    """The Region's dashboard for a period or since opening (access already checked), with how fresh it is."""
    joined = members(kentra, region)
    named = dashboard_members(joined, kentra)
    first = min((m.opened_year for m in named if m.opened_year is not None), default=kentra.today().year)
    span = chosen_span(code, first, kentra.today())
    doc = dashboard(region, span, named, lambda p: regional_answer(region, p, joined, kentra.regional_figures))
    doc["first_year"] = first
    doc["figures_as_of"] = {m.tenant: views.as_of() | {"lag": views.lag()} for m, views in joined}
    return doc
