"""The Region's dashboard (issue 26): tables cut from the disclosure-controlled answers, nothing past them.

Every number here is a cell of an answer of ``services.regions`` (which passed the audit of its year
as a whole), or a figure computed only from cells that answer shows: a rate per 1,000 residents of a
shown count, or a sum of shown counts (beneficiaries since opening). A derived figure one of whose
parts is hidden is hidden itself, so the dashboard, its files and the API reveal exactly what the
answers reveal, and hide the same cells (``None``: shown as χ).

The document is codes and numbers; the gateways put Greek words on the codes (``gateways/regional_dashboard.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.errors import InvalidValueError
from domain.periods import EXAMPLES, LAST_YEAR, Period, parse_period, year_periods
from projections.queries import AGE_GROUPS
from services.regions import CONSOLIDATED, GENDER_TOTAL

Answer = Callable[[Period], dict[str, Any]]
"""The protected answer of one fixed period (``services.regions.regional_answer`` for the region)."""
Cell = int | float | str | None
"""A shown count or rate; ``None`` a hidden cell (χ); ``"—"`` a figure that does not exist (no population)."""

SINCE_OPENING = "since-opening"
NOT_AVAILABLE = "—"
PRESETS = ("month", "quarter", "half", "year", SINCE_OPENING)
WORK = ("requests", "referrals", "networking_meetings", "community_events", "volunteers")
# the ESF sum of the municipalities: the consolidated row of every table, named for what it is
ESF_SUM = CONSOLIDATED


@dataclass(frozen=True)
class Member:
    """A municipality of the region as its dashboard names it: its operations and its population."""

    tenant: str
    name_el: str
    operations: tuple[tuple[str, str], ...]  # (programme period, MIS/ΟΠΣ code) where the registry gives one
    opened_year: int | None = None
    population: int | None = None
    population_source: str | None = None


@dataclass(frozen=True)
class Span:
    """What the analyst chose: a fixed period, or every year since the region's first centre opened."""

    code: str
    main: Period | None  # the period whose breakdowns are shown; None since opening (years side by side)
    columns: tuple[Period, ...]  # the trend's points: the months of the period, or the years since opening
    start: date
    end: date


def chosen_span(code: str, first_year: int, today: date) -> Span:
    """A fixed period by its code, or ``since-opening``: every year from ``first_year`` to this one."""
    if code.strip() == SINCE_OPENING:
        last = min(today.year, LAST_YEAR)
        years = tuple(parse_period(str(y)) for y in range(min(first_year, last), last + 1))
        return Span(SINCE_OPENING, None, years, years[0].start, years[-1].end)
    try:
        period = parse_period(code)
    except InvalidValueError:
        raise InvalidValueError(
            f"a reporting period is a year, half-year, quarter or month, e.g. {EXAMPLES}, or {SINCE_OPENING}",
            field="period",
        ) from None
    months = tuple(p for p in year_periods(period.year) if p.start == p.end.replace(day=1))
    return Span(
        period.code, period, tuple(m for m in months if period.start <= m.start <= period.end), period.start, period.end
    )


def presets(anchor: date) -> list[tuple[str, str]]:
    """The month, quarter, half-year and year ``anchor`` falls in, and since opening: (preset, code)."""
    y, m = anchor.year, anchor.month
    codes = [f"{y}-{m:02d}", f"{y}-Q{(m - 1) // 3 + 1}", f"{y}-H{(m - 1) // 6 + 1}", f"{y}", SINCE_OPENING]
    return list(zip(PRESETS, codes, strict=True))


def year_to_date(period: Period) -> list[Period]:
    """The fixed periods that add up to the year up to ``period``'s end: as few and as large as can be."""
    parts: list[Period] = []
    month = 1
    end = period.end.month
    while month <= end:
        step = next(s for s in (12, 6, 3, 1) if (month - 1) % s == 0 and month + s - 1 <= end)
        parts.append(next(p for p in year_periods(period.year) if p.start.month == month and _months(p) == step))
        month += step
    return parts


def _months(period: Period) -> int:
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


def _sum(values: Iterable[Cell]) -> Cell:
    """The sum of shown counts; hidden if any part is (a sum with a hidden part would give it back)."""
    total = 0
    for v in values:
        if v is None:
            return None
        total += int(v)
    return total


def _rate(count: Cell, population: int | None) -> Cell:
    if population is None or population <= 0:
        return NOT_AVAILABLE
    if count is None or isinstance(count, str):
        return None if count is None else NOT_AVAILABLE
    return round(float(count) * 1000 / population, 1)


def _table(table_id: str, columns: Sequence[str], rows: list[tuple[str, list[Cell]]], **extra: Any) -> dict[str, Any]:
    return {
        "id": table_id,
        "columns": list(columns),
        "rows": [{"key": key, "cells": cells} for key, cells in rows],
        **extra,
    }


def _rows(answer: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(tenant, indicators) of each municipality, then the consolidated row (the ESF sum)."""
    found = [(m["tenant"], m["indicators"]) for m in answer["municipalities"]]
    if answer.get("consolidated"):
        found.append((ESF_SUM, answer["consolidated"]))
    return found


def _items(items: list[dict[str, Any]], key: str) -> dict[str, Cell]:
    return {str(i[key]): i["total"] for i in items}


def _by_key(answer: dict[str, Any], pick: Callable[[dict[str, Any]], dict[str, Cell]]) -> dict[str, Any] | None:
    """A breakdown with the municipalities side by side: rows its keys, columns the municipalities and the sum."""
    rows = _rows(answer)
    picked = {who: pick(doc) for who, doc in rows}
    keys = sorted(set().union(*(set(p) for p in picked.values()))) if picked else []
    if not keys:
        return None
    # a key one municipality has no row for is a count of 0 there: shown, about no one
    return {
        "columns": [who for who, _ in rows],
        "rows": [(k, [picked[who].get(k, 0) for who, _ in rows]) for k in keys],
    }


def _activities(doc: dict[str, Any], detail: bool) -> list[Cell]:
    kinds = _items(doc["activities"]["by_kind"], "key")
    volunteers: Cell = kinds.get("volunteer_registration", 0) if detail else NOT_AVAILABLE
    return [
        doc["requests"]["total"],
        doc["referrals"]["total"],
        doc["activities"]["networking_meetings"],
        doc["activities"]["community_events"],
        volunteers,
    ]


def dashboard(region: str, span: Span, members: Sequence[Member], answer: Answer) -> dict[str, Any]:
    """The dashboard's document: every table, its rows and columns as codes, hidden cells ``None``."""
    by_tenant = {m.tenant: m for m in members}
    main = answer(span.main) if span.main else answer(span.columns[-1])
    points = [(p, answer(p)) for p in span.columns]
    detail = span.main is not None and len(span.main.children()) == 2
    tables: list[dict[str, Any]] = []
    if span.main is not None:
        rows = _rows(main)
        tables.append(
            _table("served", GENDER_TOTAL, [(w, [d["beneficiaries_served"][g] for g in GENDER_TOTAL]) for w, d in rows])
        )
        distinct = (main.get("consolidated") or {}).get("people_served_region_wide")
        if distinct is not None:
            esf_sum = main["consolidated"]["beneficiaries_served"]["total"]
            tables.append(
                _table("people_region_wide", ["total"], [("distinct", [distinct["distinct"]]), ("esf_sum", [esf_sum])])
            )
        tables.append(
            _table("new", GENDER_TOTAL, [(w, [d["new_beneficiaries"][g] for g in GENDER_TOTAL]) for w, d in rows])
        )
        if all("beneficiaries_served_by_age" in d for _, d in rows):  # half-years and years
            ages = [(w, [d["beneficiaries_served_by_age"][g] for g in AGE_GROUPS]) for w, d in rows]
            tables.append(_table("served_by_age", AGE_GROUPS, ages))
    trend_rows = [who for who, _ in _rows(points[-1][1])]
    tables.append(
        _table(
            "trend",
            [p.code for p, _ in points],
            [(who, [dict(_rows(a))[who]["beneficiaries_served"]["total"] for _, a in points]) for who in trend_rows],
            chart="lines",
        )
    )
    if span.main is None:  # since opening: each year side by side, and their sum where every year is shown
        new_by_year = [
            (who, [dict(_rows(a))[who]["new_beneficiaries"]["total"] for _, a in points]) for who in trend_rows
        ]
        tables.append(_table("new_by_year", [p.code for p, _ in points], new_by_year))
        tables.append(_table("since_opening", ["total"], [(who, [_sum(cells)]) for who, cells in new_by_year]))
        tables.append(
            _table(
                "requests_by_year",
                [p.code for p, _ in points],
                [(who, [dict(_rows(a))[who]["requests"]["total"] for _, a in points]) for who in trend_rows],
            )
        )
    else:
        rows = _rows(main)
        tables.append(_table("work", WORK, [(w, _activities(d, detail)) for w, d in rows]))
        tables.append(_since_opening(span.main, members, answer))
        tables.append(_rates(rows, by_tenant))
        if detail:
            tables.extend(_breakdowns(main))
    return {
        "region": region,
        "period": span.code,
        "from": span.start.isoformat(),
        "to": span.end.isoformat(),
        "breakdowns": detail,
        "disclosure_control": main["disclosure_control"],
        "municipalities": [
            {
                "tenant": m.tenant,
                "name_el": m.name_el,
                "operations": [{"programme": p, "code": c} for p, c in m.operations],
                "population": m.population,
                "population_source": m.population_source,
            }
            for m in members
        ],
        "tables": tables,
    }


def _since_opening(period: Period, members: Sequence[Member], answer: Answer) -> dict[str, Any]:
    """New beneficiaries added up from the year the region's first centre opened to the period's end."""
    first = min((m.opened_year for m in members if m.opened_year is not None), default=period.year)
    parts = [parse_period(str(y)) for y in range(min(first, period.year), period.year)] + year_to_date(period)
    answers = [answer(p) for p in parts]
    who = [w for w, _ in _rows(answer(period))]
    rows = [(w, [_sum(dict(_rows(a))[w]["new_beneficiaries"]["total"] for a in answers)]) for w in who]
    return _table("since_opening", ["total"], rows, parts=[p.code for p in parts])


def _rates(rows: list[tuple[str, dict[str, Any]]], members: dict[str, Member]) -> dict[str, Any]:
    """People served and requests per 1,000 residents, from the registry's population (2021 census)."""
    populations = [members[w].population for w, _ in rows if w != ESF_SUM]
    region_population = sum(p for p in populations if p) if populations and all(populations) else None
    found = []
    for who, doc in rows:
        population = region_population if who == ESF_SUM else members[who].population
        served, requests = doc["beneficiaries_served"]["total"], doc["requests"]["total"]
        found.append((who, [population or NOT_AVAILABLE, _rate(served, population), _rate(requests, population)]))
    return _table("rates", ["population", "served_per_1000", "requests_per_1000"], found)


def _breakdowns(main: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for table_id, pick in (
        ("requests_by_category", lambda d: _items(d["requests"]["by_category"], "category")),
        ("referrals_by_destination", lambda d: _items(d["referrals"]["by_destination"], "key")),
        ("referrals_by_outcome", lambda d: _items(d["referrals"]["by_outcome"], "key")),
    ):
        side = _by_key(main, pick)
        if side is not None:
            found.append(
                _table(
                    table_id,
                    side["columns"],
                    side["rows"],
                    chart="bars" if table_id == "requests_by_category" else None,
                )
            )
    structures = [
        (f"{who}/{s['structure']}", [s[g] for g in GENDER_TOTAL])
        for who, doc in _rows(main)
        for s in doc["requests"]["by_structure_and_gender"]
    ]
    if structures:
        found.append(_table("requests_by_structure", GENDER_TOTAL, structures))
    return found
