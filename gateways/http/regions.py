"""Regional dashboards: each municipality's published figures and the consolidated ones, never personal data."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from domain.errors import InvalidValueError
from domain.periods import EXAMPLES, Period, parse_period, period_of
from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.schemas import problem_responses
from gateways.kafka.gateway import DirectSink, Gateway
from infra.bootstrap import Kentra
from projections.queries import MixedLinkKeysError, distinct_people, indicators, served_links
from services.access import AccessDeniedError, Role
from services.regions import Municipality

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


def regional_answer(kentra: Kentra, region: str, period: Period) -> dict[str, Any]:
    """The region's answer for a fixed period: one consolidation for the API, the pages and the demo."""
    tenant_ids = municipalities(kentra, region)

    def figures(tenant_id: str, start: date, end: date) -> dict[str, Any]:
        with kentra.regional(tenant_id).engine.connect() as conn:
            return indicators(conn, start, end, None)

    def links(tenant_id: str, start: date, end: date) -> set[str]:
        with kentra.regional(tenant_id).engine.connect() as conn:
            return served_links(conn, start, end)

    def distinct(union: set[str]) -> int | None:
        try:
            return distinct_people(union)
        except MixedLinkKeysError:
            return None  # a Region's store half rebuilt after a new linkage key (docs/regions.md)

    members = [Municipality(t, kentra.registry.tenant(t).name_el) for t in tenant_ids]
    version = tuple(kentra.regional(t).position() for t in tenant_ids)
    return kentra.regional_figures.answer(
        region, members, period, figures, links=links, distinct=distinct, version=version
    )


def requested_period(period: str | None, start: date | None, end: date | None) -> Period:
    """A fixed period, by its code or by the exact dates it spans."""
    if period is not None:
        return parse_period(period)
    if start is None or end is None:
        raise InvalidValueError(f"give a reporting period, e.g. period={EXAMPLES.split(',')[0]}", field="period")
    if end < start:
        raise InvalidValueError("'to' is before 'from'", field="to")
    return period_of(start, end)


@router.get("/indicators", summary="A fixed period's figures per municipality and consolidated, disclosure-controlled")
def regional_indicators(
    kentra: KentraDep,
    user: CurrentUser,
    region: Region,
    period: Annotated[str | None, Query(description=f"a year, half-year, quarter or month: {EXAMPLES}")] = None,
    start: Annotated[
        date | None, Query(alias="from", description="with 'to': the exact span of a fixed period")
    ] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    return regional_answer(kentra, region, requested_period(period, start, end))


@router.get("/lag", summary="Seconds from recording in a municipality to effect in the regional figures")
def regional_lag(kentra: KentraDep, user: CurrentUser, region: Region) -> dict[str, Any]:
    return {
        "region": region,
        "municipalities": {tid: kentra.regional(tid).lag() for tid in municipalities(kentra, region)},
    }
