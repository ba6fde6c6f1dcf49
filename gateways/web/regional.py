"""The Region's consolidated dashboard (issue 26) and its downloads, for the region's analyst only.

The page, its CSV and XLSX are the same labelled tables (``gateways.regional_dashboard``), cut from
the disclosure-controlled answers: they hide the same cells as the API, with the one symbol χ.
The URLs carry only the region and the period: never a municipality's person or record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from domain.errors import DomainError
from domain.periods import parse_period, year_periods
from gateways import regional_dashboard as tables
from gateways.regional import region_dashboard
from gateways.web.entries import moment
from gateways.web.labels import LABELS
from gateways.web.session import csrf_protect, kentra_of, lang_of, message, render, user_of
from infra.bootstrap import Kentra
from services.access import AccessDeniedError, may_analyse_region
from services.regional_dashboard import SINCE_OPENING, presets

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PRESET_LABELS = tables.PRESET_LABELS


def _checked(request: Request, region: str) -> Response | None:
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    try:
        may_analyse_region(user, region, kentra_of(request).registry)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError:
        return message(request, 404, "not_built")
    return None


def _offered(kentra: Kentra, first: int) -> list[tuple[str, str]]:
    """Since opening, then every fixed period from the region's first year (or last year) to this one."""
    today = kentra.today()
    first = min(first, today.year - 1)
    found = [(SINCE_OPENING, PRESET_LABELS[SINCE_OPENING])]
    return found + [(p.code, p.label()) for year in range(today.year, first - 1, -1) for p in year_periods(year)]


@router.get("/r/{region}/dashboard")
def dashboard_page(request: Request, region: str) -> Response:
    """Each municipality of the region and the region's total, every figure disclosure-controlled."""
    refused = _checked(request, region)
    if refused is not None:
        return refused
    kentra, lang = kentra_of(request), lang_of(request)
    named = kentra.registry.region(region)
    code = (request.query_params.get("period") or str(kentra.today().year)).strip()
    context: dict[str, Any] = {
        "region": region,
        "region_name": named.name_el if lang == "el" else named.name_en,
        "period": code,
        "periods": _offered(kentra, kentra.today().year - 1),
        "hidden": tables.HIDDEN,
    }
    try:
        doc = region_dashboard(kentra, region, code)
    except DomainError:
        return render(request, "region.html", 422, error=LABELS[lang]["reporting_period_hint"], **context)
    context["periods"] = _offered(kentra, doc["first_year"])
    labelled = tables.labelled(doc, tables.structure_names(kentra, region))
    anchor = parse_period(doc["to"][:7]) if code == SINCE_OPENING else parse_period(code)
    links = [
        (PRESET_LABELS[kind], preset, f"?{urlencode({'period': preset})}", preset == doc["period"])
        for kind, preset in presets(min(anchor.start, kentra.today()))
    ]
    downloads = {
        fmt: f"/r/{region}/dashboard/download?{urlencode({'period': doc['period'], 'format': fmt})}"
        for fmt in ("csv", "xlsx")
    }
    return render(
        request,
        "region.html",
        doc=doc,
        tables=labelled,
        charts={t.id: tables.chart(t, f"table-{t.id}") for t in labelled if t.chart},
        period_label=tables.period_label(doc["period"]),
        presets=links,
        downloads=downloads,
        as_of=_as_of(kentra, doc),
        **context,
    )


def _as_of(kentra: Kentra, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per municipality: when its figures here were last brought up to date, and the lag behind it."""
    names = {m["tenant"]: m["name_el"] for m in doc["municipalities"]}
    found = []
    for tenant, fresh in doc["figures_as_of"].items():
        lag = fresh["lag"]
        found.append(
            {
                "name": names.get(tenant, tenant),
                "applied_at": fresh["applied_at"],
                # shown as staff read a moment everywhere (Athens time, dd/mm/yyyy hh:mm); ISO stays in datetime=
                "applied_shown": moment(datetime.fromisoformat(fresh["applied_at"])) if fresh["applied_at"] else None,
                "p50": lag.get("p50_seconds"),
                "p99": lag.get("p99_seconds"),
                "max": lag.get("max_seconds"),
            }
        )
    return found


@router.get("/r/{region}/dashboard/download")
def dashboard_download(request: Request, region: str, format: str = "csv", table: str | None = None) -> Response:
    """The dashboard's tables as CSV (Greek Excel) or XLSX: the page's cells, the page's χ."""
    refused = _checked(request, region)
    if refused is not None:
        return refused
    kentra = kentra_of(request)
    code = (request.query_params.get("period") or str(kentra.today().year)).strip()
    try:
        return tables.download(kentra, region, region_dashboard(kentra, region, code), format, table)
    except DomainError:
        return message(request, 422, "reporting_period_hint")
