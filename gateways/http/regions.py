"""Regional dashboards: each municipality's published figures and the consolidated ones, never personal data."""

from __future__ import annotations

from datetime import date
from functools import reduce
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from domain.errors import InvalidValueError
from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.schemas import problem_responses
from gateways.kafka.gateway import DirectSink, Gateway
from infra.bootstrap import Kentra
from projections.queries import indicators
from services.access import AccessDeniedError, Role
from services.disclosure import add, suppress

router = APIRouter(
    prefix="/api/v1/regions/{region}", tags=["regions"], responses=problem_responses(401, 403, 404, 422, 500)
)


def analyst_of(region: str, kentra: KentraDep, user: CurrentUser) -> str:
    if user.role != Role.REGIONAL_ANALYST or user.region != region:
        raise AccessDeniedError(f"no access to region {region!r}")
    try:
        kentra.registry.region(region)
    except ValueError:
        raise InvalidValueError(f"unknown region {region!r}", field="region") from None
    return region


Region = Annotated[str, Depends(analyst_of)]


def municipalities(kentra: Kentra, region: str) -> list[str]:
    """The region's tenants with a regional store; without Kafka the gateway delivers in process first."""
    tenant_ids = [t.id for t in kentra.registry.tenants_of(region) if kentra.is_provisioned(t.id)]
    if not kentra.settings.kafka_bootstrap_servers:
        gateway = Gateway(kentra, DirectSink(kentra))
        for tenant_id in tenant_ids:
            # Requests run in threads: two deliveries of one tenant at once both found an event not
            # yet applied and both applied it (a UNIQUE violation, a 500). One at a time, per tenant.
            with kentra.lock(f"deliver:{tenant_id}"):
                gateway.catch_up(tenant_id)
    return tenant_ids


@router.get("/indicators", summary="Per municipality and consolidated; cells of 1-4 people suppressed")
def regional_indicators(
    kentra: KentraDep,
    user: CurrentUser,
    region: Region,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> dict[str, Any]:
    if end < start:
        raise InvalidValueError("'to' is before 'from'", field="to")
    docs = []
    for tenant_id in municipalities(kentra, region):
        with kentra.regional(tenant_id).engine.connect() as conn:
            docs.append((tenant_id, indicators(conn, start, end, None)))
    consolidated = reduce(add, [doc for _, doc in docs]) if docs else None
    return {
        "region": region,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "municipalities": [
            {"tenant": tid, "name_el": kentra.registry.tenant(tid).name_el, "indicators": suppress(doc)}
            for tid, doc in docs
        ],
        "consolidated": suppress(consolidated),
    }


@router.get("/lag", summary="Seconds from recording in a municipality to effect in the regional figures")
def regional_lag(kentra: KentraDep, user: CurrentUser, region: Region) -> dict[str, Any]:
    return {
        "region": region,
        "municipalities": {tid: kentra.regional(tid).lag() for tid in municipalities(kentra, region)},
    }
