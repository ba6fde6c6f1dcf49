"""Caseload, programme indicators, ESF indicators and projection lag for one tenant."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from domain.errors import InvalidValueError
from gateways.http.deps import CaseworkReader, CurrentUser, KentraDep
from gateways.http.schemas import problem_responses
from gateways.reports import download
from infra.bootstrap import Kentra
from projections.queries import caseload, esf_indicators, indicators
from services.access import Principal, structure_scope

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}",
    tags=["indicators"],
    responses=problem_responses(400, 401, 403, 404, 422, 500, 503),
)
FromDate = Annotated[date, Query(alias="from", description="First day, YYYY-MM-DD")]
ToDate = Annotated[date, Query(alias="to", description="Last day, YYYY-MM-DD")]
StructureFilter = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z][a-z0-9-]*$")]
MAX_DAYS = 366 * 12


def scope(kentra: Kentra, tenant: str, user: Principal, structure: str | None) -> str | None:
    """A caseworker sees her own structure's figures; others the tenant's, or one structure's."""
    if structure is not None:
        kentra.registry.tenant(tenant).structure(structure)
    own = structure_scope(user)
    return own if own is not None else structure


def period(start: date, end: date) -> None:
    if end < start:
        raise InvalidValueError("'to' is before 'from'", field="to")
    if (end - start).days > MAX_DAYS:
        raise InvalidValueError("a period is at most twelve years", field="to")


def fresh(kentra: Kentra, tenant: str) -> Any:
    views = kentra.views(tenant)
    views.catch_up()
    return views


@router.get(
    "/indicators",
    summary="Programme indicators for a period, as JSON, CSV or XLSX",
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
    period(start, end)
    views = fresh(kentra, tenant)
    with views.engine.connect() as conn:
        doc = indicators(conn, start, end, scope(kentra, tenant, user, structure))
    doc["tenant"] = tenant
    if format in ("csv", "xlsx"):
        return download(doc, casework.tenant.name_el, format)
    return doc


@router.get("/esf-indicators", summary="ESF participant indicators (CO or EECO codes) by gender")
def get_esf_indicators(
    kentra: KentraDep,
    casework: CaseworkReader,
    user: CurrentUser,
    tenant: str,
    programme: Annotated[Literal["2014-2020", "2021-2027"], Query()],
    start: FromDate,
    end: ToDate,
    structure: StructureFilter = None,
) -> dict[str, Any]:
    period(start, end)
    views = fresh(kentra, tenant)
    with views.engine.connect() as conn:
        return {"tenant": tenant, **esf_indicators(conn, programme, start, end, scope(kentra, tenant, user, structure))}


@router.get("/caseload", summary="Open work per structure and caseworker")
def get_caseload(
    kentra: KentraDep, casework: CaseworkReader, user: CurrentUser, tenant: str, structure: StructureFilter = None
) -> dict[str, Any]:
    views = fresh(kentra, tenant)
    with views.engine.connect() as conn:
        rows = caseload(conn, casework.today(), scope(kentra, tenant, user, structure))
    return {"tenant": tenant, "as_of": casework.today().isoformat(), "caseload": rows}


@router.get("/projections", summary="How far the read models are behind the log (events and seconds)")
def get_lag(kentra: KentraDep, casework: CaseworkReader, tenant: str) -> dict[str, Any]:
    return {"tenant": tenant, "casework_views": kentra.views(tenant).lag()}
