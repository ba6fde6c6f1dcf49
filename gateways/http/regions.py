"""Regional dashboards: each municipality's published figures and the consolidated ones, never personal data."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from domain.periods import EXAMPLES
from gateways import regional_dashboard as tables
from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.report_schemas import RegionalDashboard, RegionalIndicators, RegionalLag
from gateways.http.schemas import problem_responses
from gateways.regional import consolidate, members, region_dashboard
from services.access import may_analyse_region
from services.regions import regional_lag, requested_period

router = APIRouter(
    prefix="/api/v1/regions/{region}", tags=["regions"], responses=problem_responses(401, 403, 404, 422, 500)
)


def analyst_of(region: str, kentra: KentraDep, user: CurrentUser) -> str:
    """The region in the path, once the caller is known to be its analyst."""
    may_analyse_region(user, region, kentra.registry)
    return region


Region = Annotated[str, Depends(analyst_of)]


@router.get(
    "/indicators",
    summary="A fixed period's figures per municipality and consolidated, disclosure-controlled",
    response_model=RegionalIndicators,
)
def get_regional_indicators(
    kentra: KentraDep,
    user: CurrentUser,
    region: Region,
    period: Annotated[str | None, Query(description=f"a year, half-year, quarter or month: {EXAMPLES}")] = None,
    start: Annotated[
        date | None, Query(alias="from", description="with 'to': the exact span of a fixed period")
    ] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Any:
    chosen = requested_period(period, start, end)
    return consolidate(kentra, region, chosen)


@router.get(
    "/lag",
    summary="Seconds from recording in a municipality to effect in the regional figures",
    response_model=RegionalLag,
    response_model_exclude_unset=True,  # a municipality with nothing applied yet says only events: 0
)
def get_regional_lag(kentra: KentraDep, user: CurrentUser, region: Region) -> Any:
    return {"region": region, "municipalities": regional_lag(members(kentra, region))}


@router.get(
    "/dashboard",
    summary="The Region's dashboard: every table of the page, as JSON, CSV or XLSX, disclosure-controlled",
    response_model=RegionalDashboard,
    responses={200: {"content": {"text/csv": {}, tables.XLSX: {}}}},
)
def get_regional_dashboard(
    kentra: KentraDep,
    user: CurrentUser,
    region: Region,
    period: Annotated[str, Query(description=f"a year, half-year, quarter or month ({EXAMPLES}), or since-opening")],
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="csv and xlsx: the page's files")] = "json",
    table: Annotated[str | None, Query(description="csv and xlsx: one table only, by its id")] = None,
) -> Any:
    doc = region_dashboard(kentra, region, period)
    if format == "json":
        return doc
    return tables.download(kentra, region, doc, format, table)
