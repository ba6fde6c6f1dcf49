"""The municipality's dashboard and its downloads: a period that has data, presets, totals, Greek labels.

The dashboard opens on the latest month with entries (not an empty current month: on the 1st of a
month, or in a centre that records late, the current month says nothing). A period is a preset
(``?period=2024-05``, ``2024-Q2``, ``2024-H1``, ``2024``: ``domain.periods``) or any span typed as
dd/mm/yyyy (``?from&to``; ISO dates of old bookmarks still read). The downloads are the same figures
for the same caller: a caseworker's are her own structure's, as on the page.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from domain.clock import athens_today
from domain.errors import DomainError
from domain.periods import Period, parse_period
from gateways.web import charts, exports
from gateways.web.exports import outcome_label
from gateways.web.labels import LABELS
from gateways.web.present import code_label, month_name, optional_date
from gateways.web.session import csrf_protect, kentra_of, lang_of, message, render, user_of
from services import reporting
from services.access import AccessDeniedError, Principal, may_read_casework, structure_scope

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def period_between(start: str | None, end: str | None, today: date | None = None) -> tuple[date, date]:
    """A span typed dd/mm/yyyy (or ISO); missing ends are the last eleven months to ``today``."""
    last = optional_date(end) or today or athens_today()
    first = optional_date(start) or (last.replace(day=1) - timedelta(days=334)).replace(day=1)
    reporting.checked_period(first, last)
    return first, last


def dashboard_scope(request: Request, tenant: str, structure: str | None) -> tuple[Principal, str | None] | Response:
    """The caller and the structure whose figures she sees; or the page that says no."""
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    kentra = kentra_of(request)
    try:
        registered = kentra.registry.tenant(tenant)
        may_read_casework(user, tenant)
        return user, reporting.scope(registered, user, structure or None)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError:
        return message(request, 404, "not_built")


def _month(day: date) -> Period:
    return parse_period(f"{day.year}-{day.month:02d}")


def chosen_period(request: Request, tenant: str, structure: str | None) -> tuple[date, date, Period | None, bool]:
    """The period asked for: a preset, a typed span, or (neither) the latest month with entries.

    Also the preset it is (None for a typed span) and whether it was the default. Raises ValueError
    or DomainError for a period that is not one.
    """
    query = request.query_params
    if code := query.get("period"):
        preset = parse_period(code)
        return preset.start, preset.end, preset, False
    if query.get("from") or query.get("to"):
        first, last = period_between(query.get("from"), query.get("to"), kentra_of(request).today())
        return first, last, None, False
    today = kentra_of(request).today()
    latest = reporting.latest_entry_on(kentra_of(request).views(tenant), today, structure)
    month = _month(latest or today)
    return month.start, month.end, month, True


def presets(anchor: date) -> list[tuple[str, Period]]:
    """The month, quarter, half-year and year ``anchor`` falls in."""
    y, m = anchor.year, anchor.month
    codes = [f"{y}-{m:02d}", f"{y}-Q{(m - 1) // 3 + 1}", f"{y}-H{(m - 1) // 6 + 1}", f"{y}"]
    return list(
        zip(("preset_month", "preset_quarter", "preset_half", "preset_year"), map(parse_period, codes), strict=True)
    )


def _neighbours(preset: Period) -> tuple[Period, Period]:
    """The preset of the same length just before and just after."""
    before = preset.start - timedelta(days=1)
    after = preset.end + timedelta(days=1)
    kind = preset.code[4:5]  # "" a year, "-": then H, Q or a month
    if not kind:
        return parse_period(str(before.year)), parse_period(str(after.year))
    part = preset.code[5]
    if part == "H":
        return parse_period(f"{before.year}-H{(before.month - 1) // 6 + 1}"), parse_period(
            f"{after.year}-H{(after.month - 1) // 6 + 1}"
        )
    if part == "Q":
        return parse_period(f"{before.year}-Q{(before.month - 1) // 3 + 1}"), parse_period(
            f"{after.year}-Q{(after.month - 1) // 3 + 1}"
        )
    return _month(before), _month(after)


def _labelled(items: list[dict[str, Any]], catalogue: str, lang: str) -> list[dict[str, Any]]:
    """Rows of (code, total) as (Greek label, total), the largest first."""
    shown = [
        {"label": outcome_label(i["key"], lang) if catalogue == "outcome" else code_label(i["key"], catalogue, lang)}
        | {"total": i["total"]}
        for i in items
    ]
    return sorted(shown, key=lambda i: (-i["total"], i["label"]))


@router.get("/t/{tenant}/dashboard")
def dashboard(request: Request, tenant: str, structure: str | None = None) -> Response:
    """The figures of a period with its totals; a caseworker sees her own structure's."""
    scoped = dashboard_scope(request, tenant, structure)
    if isinstance(scoped, Response):
        return scoped
    _, chosen = scoped
    kentra, lang = kentra_of(request), lang_of(request)
    t, registered = LABELS[lang], kentra.registry.tenant(tenant)
    context: dict[str, Any] = {
        "tenant": tenant,
        "tenant_name": registered.name_el if lang == "el" else registered.name_en,
        # a caseworker sees her own structure's figures: no choice of structure to offer her
        "structures": registered.structures if structure_scope(scoped[0]) is None else (),
        "structure": chosen,
    }
    try:
        first, last, preset, default = chosen_period(request, tenant, chosen)
    except (ValueError, DomainError):
        query = request.query_params
        typed = {"start": query.get("from", ""), "end": query.get("to", "")}
        return render(request, "dashboard.html", 422, error=t["bad_period"], **typed, **context)
    doc = reporting.indicators(kentra.views(tenant), first, last, chosen)
    categories = _labelled(
        [{"key": c["category"], "total": c["total"]} for c in doc["requests"]["by_category"]], "category", lang
    )
    per_month = doc["requests"]["per_month"]
    months = [month_name(m["month"], lang) for m in per_month]
    where = {"structure": chosen} if chosen else {}
    span = {"period": preset.code} if preset else {"from": first.isoformat(), "to": last.isoformat()}
    links = [(key, p, f"?{urlencode({'period': p.code, **where})}") for key, p in presets(first)]
    around = (
        [
            (key, p, f"?{urlencode({'period': p.code, **where})}")
            for key, p in zip(("previous_period", "next_period"), _neighbours(preset), strict=True)
            if key == "previous_period" or p.start <= kentra.today()  # no link to a period still to come
        ]
        if preset
        else []
    )
    return render(
        request,
        "dashboard.html",
        doc=doc,
        start=first.isoformat(),
        end=last.isoformat(),
        preset=preset,
        period_label=preset.label(lang) if preset else None,
        opened_on_latest=default,
        presets=links,
        around=around,
        categories=categories,
        destinations=_labelled(doc["referrals"]["by_destination"], "agency", lang),
        outcomes=_labelled(doc["referrals"]["by_outcome"], "outcome", lang),
        activities=_labelled(doc["activities"]["by_kind"], "activity", lang),
        visits=_labelled(doc["activities"]["home_visits_by_purpose"], "purpose", lang),
        home_visits=sum(h["total"] for h in doc["activities"]["home_visits_by_purpose"]),
        download=f"/t/{tenant}/dashboard/download?{urlencode({**span, **where})}",
        charts={
            "served": charts.served_by_gender(
                [m | {"month": name} for m, name in zip(doc["beneficiaries_served"]["per_month"], months, strict=True)],
                t,
            ),
            "requests": charts.bars(months, [m["total"] for m in per_month], t["requests_per_month"]),
            "categories": charts.bars(
                [c["label"] for c in categories],
                [c["total"] for c in categories],
                t["requests_by_category"],
                horizontal=True,
            ),
        },
        **context,
    )


@router.get("/t/{tenant}/dashboard/download")
def download(request: Request, tenant: str, structure: str | None = None, format: str = "csv") -> Response:
    """The dashboard's period as CSV (Greek Excel) or XLSX, confined to what the caller may see."""
    scoped = dashboard_scope(request, tenant, structure)
    if isinstance(scoped, Response):
        return scoped
    _, chosen = scoped
    try:
        first, last, _, _ = chosen_period(request, tenant, chosen)
    except (ValueError, DomainError):
        return message(request, 422, "bad_period")
    kentra = kentra_of(request)
    doc = {"tenant": tenant, **reporting.indicators(kentra.views(tenant), first, last, chosen)}
    return exports.download(doc, kentra.registry.tenant(tenant), format, first, last)
