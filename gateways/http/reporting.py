"""Caseload, programme indicators, ESF indicators and projection lag for one tenant (services.reporting)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from gateways import esf_files
from gateways.http.deps import CaseworkReader, CurrentUser, KentraDep
from gateways.http.report_schemas import Caseload, EsfIndicators, Indicators, ProjectionLag
from gateways.http.schemas import problem_responses
from gateways.reports import download
from services import esf, reporting

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}",
    tags=["indicators"],
    responses=problem_responses(400, 401, 403, 404, 422, 500, 503),
)
FromDate = Annotated[date, Query(alias="from", description="First day, YYYY-MM-DD")]
ToDate = Annotated[date, Query(alias="to", description="Last day, YYYY-MM-DD")]
StructureFilter = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z][a-z0-9-]*$")]


@router.get(
    "/indicators",
    summary="Programme indicators for a period, as JSON, CSV or XLSX",
    response_model=Indicators,
    responses={
        200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
def get_indicators(
    kentra: KentraDep,
    casework: CaseworkReader,
    user: CurrentUser,
    tenant: str,
    start: FromDate,
    end: ToDate,
    structure: StructureFilter = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Any:
    reporting.checked_period(start, end)  # a bad period is named before an unknown structure, as before
    scoped = reporting.scope(casework.tenant, user, structure)
    doc = {**reporting.indicators(kentra.views(tenant), start, end, scoped), "tenant": tenant}
    if format in ("csv", "xlsx"):
        return download(doc, casework.tenant.name_el, format)
    return doc


@router.get(
    "/esf-indicators",
    summary="ESF participant indicators (CO or EECO codes) by gender, as JSON, CSV or XLSX",
    response_model=EsfIndicators,
    response_model_exclude_unset=True,  # ``refused`` only for the codes on a special category
    responses={200: {"content": {"text/csv": {}, esf_files.XLSX: {}}}},
)
def get_esf_indicators(
    kentra: KentraDep,
    casework: CaseworkReader,
    user: CurrentUser,
    tenant: str,
    programme: Annotated[Literal["2014-2020", "2021-2027"], Query()],
    start: FromDate,
    end: ToDate,
    structure: StructureFilter = None,
    # Declared so that a format is honoured, and one not offered refused (422), never silently ignored.
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Any:
    reporting.checked_period(start, end)
    scoped = reporting.scope(casework.tenant, user, structure)
    found = reporting.esf_indicators(kentra.views(tenant), casework.tenant, programme, start, end, structure=scoped)
    if format in ("csv", "xlsx"):
        operation = casework.tenant.operation(programme)
        doc = esf.described(casework.tenant, operation, {**found, "people": []})
        return esf_files.download(doc, format, "indicators")
    return {"tenant": tenant, **found}


@router.get("/caseload", summary="Open work per structure and caseworker", response_model=Caseload)
def get_caseload(
    kentra: KentraDep, casework: CaseworkReader, user: CurrentUser, tenant: str, structure: StructureFilter = None
) -> Any:
    today = casework.today()
    rows = reporting.caseload(kentra.views(tenant), today, reporting.scope(casework.tenant, user, structure))
    return {"tenant": tenant, "as_of": today.isoformat(), "caseload": rows}


@router.get(
    "/projections",
    summary="How far the read models are behind the log (events and seconds)",
    response_model=ProjectionLag,
)
def get_projection_lag(kentra: KentraDep, casework: CaseworkReader, tenant: str) -> Any:
    return {"tenant": tenant, "casework_views": reporting.lag(kentra.views(tenant))}
