"""What a Region reads: its municipalities' figures for a fixed period, consolidated, disclosure-controlled.

The one regional consolidation (the API, the pages and ``kentra demo`` all call it). Every answer
for a period is cut from one protected table: every fixed period of its year (the year, halves,
quarters and months), each municipality and the consolidated row, every breakdown, with the
relations between them. So any set of answers an analyst collects for a year is a part of a table
that passed the audit as a whole (docs/regions.md).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.errors import InvalidValueError
from domain.periods import EXAMPLES, Period, parse_period, period_of, year_periods
from projections import queries
from projections.rollup import RegionalViews
from services.disclosure import GENDER_CELLS, PROTECTION, THRESHOLD, Cell, LinkedTable, protect

Figures = Callable[[str, date, date], dict[str, Any]]
"""A municipality's indicators for a span, from its regional store (projections.queries.indicators)."""
Links = Callable[[str, date, date], set[str]]
"""The region-wide linkage pseudonyms of the people a municipality served in a span."""
Distinct = Callable[[set[str]], int | None]
"""How many people a union of linkage pseudonyms is; None when it cannot be told (mixed keys)."""

CONSOLIDATED = "*"
GENDER_TOTAL = (*GENDER_CELLS, "total")
# measure -> the breakdowns (lists of {key, total}) that each add up to the measure's total
REFERRAL_BREAKDOWNS = ("by_structure", "by_destination", "by_outcome")
# the activities that are the centre's own work with agencies and the public: shown as they are.
# Counselling and psychosocial sessions and volunteer registrations are about a person each.
ABOUT_NO_ONE = ("networking_meeting", "agency_visit", "community_event")
METHOD = {
    "name": "cell suppression, audited by linear programming (ESSnet handbook on SDC, ch. 4-5)",
    "primary": f"cells of 1 to {THRESHOLD - 1}",
    "protection_interval": PROTECTION,
    "periods": "fixed: years, half-years, quarters, months; protected together per year",
}


@dataclass(frozen=True)
class Municipality:
    tenant: str
    name_el: str


def _items(rows: Iterable[dict[str, Any]], key: str) -> dict[str, int]:
    return {str(row[key]): int(row["total"]) for row in rows}


def detailed(period: Period) -> bool:
    """Breakdowns by category, structure, destination, outcome and purpose: half-years and years only.

    A small municipality's monthly breakdown cells are almost all under the threshold: published per
    month and quarter they would nearly all be hidden, and their hiding would spread to the rest.
    """
    return len(period.children()) == 2  # a year is 2 halves, a half 2 quarters; a quarter 3 months


def cells_of(doc: dict[str, Any], *, detail: bool = True) -> dict[Cell, int]:
    """One municipality's figures for one period as flat cells: (measure, *breakdown) -> count."""
    cells: dict[Cell, int] = {}
    for measure, source in (("served", doc["beneficiaries_served"]["period"]), ("new", doc["new_beneficiaries"])):
        cells |= {(measure, g): int(source[g]) for g in GENDER_TOTAL}
    requests = doc["requests"]
    cells[("requests", "total")] = int(requests["total"])
    cells |= {("requests", "by_category", k): v for k, v in _items(requests["by_category"], "category").items()}
    for row in requests["by_structure_and_gender"]:
        cells |= {("requests", "by_structure", str(row["structure"]), g): int(row[g]) for g in GENDER_TOTAL}
    referrals = doc["referrals"]
    cells[("referrals", "total")] = int(referrals["total"])
    if not detail:
        return {k: v for k, v in cells.items() if _summary(k)}
    for name in REFERRAL_BREAKDOWNS:
        cells |= {("referrals", name, k): v for k, v in _items(referrals[name], "key").items()}
    # people served by age group at entry: a partition of the people served (absent: not read)
    cells |= {("served_age", g): int(n) for g, n in doc.get("served_by_age", {}).items()}
    purposes = _items(doc["activities"]["home_visits_by_purpose"], "key")
    cells |= {("home_visits", "by_purpose", k): v for k, v in purposes.items()}
    kinds = _items(doc["activities"]["by_kind"], "key")
    cells |= {("activities", "by_kind", k): v for k, v in kinds.items() if k not in ABOUT_NO_ONE}
    return cells


def _summary(key: Cell) -> bool:
    """People by gender and the totals of requests and referrals: the cells of every period."""
    return key[0] in ("served", "new") or key[1] == "total"


def _belongs(key: Cell, period: Period) -> bool:
    """Whether a period carries this kind of cell (months and quarters carry no breakdowns)."""
    return _summary(key) or detailed(period)


def _relations_within(table: LinkedTable, prefix: Cell, keys: list[Cell]) -> None:
    """The sums inside one row (a municipality or the consolidated row, one period)."""

    def at(*key: Any) -> Cell:
        return (*prefix, *key)

    for measure in ("served", "new"):
        table.add(at(measure, "total"), [at(measure, g) for g in GENDER_CELLS])
    table.add(at("served", "total"), [at(*k) for k in keys if k[0] == "served_age"])
    for g in GENDER_TOTAL:  # an intake is a contact: whoever came in during a period was served in it
        table.add(at("served", g), [at("new", g)], at_least=True)
    table.add(at("requests", "total"), [at(*k) for k in keys if k[:2] == ("requests", "by_category")])
    structures = sorted({k[2] for k in keys if k[:2] == ("requests", "by_structure")})
    table.add(at("requests", "total"), [at("requests", "by_structure", s, "total") for s in structures])
    for s in structures:
        table.add(
            at("requests", "by_structure", s, "total"), [at("requests", "by_structure", s, g) for g in GENDER_CELLS]
        )
    for name in REFERRAL_BREAKDOWNS:
        table.add(at("referrals", "total"), [at(*k) for k in keys if k[:2] == ("referrals", name)])


def build_table(
    municipalities: list[str],
    docs: dict[tuple[str, str], dict[Cell, int]],
    periods: list[Period],
    distinct: dict[str, int] | None,
) -> LinkedTable:
    """The year's linked table: cells keyed (period code, tenant or "*", measure, *breakdown)."""
    table = LinkedTable()
    # sorted, so that the programmes' rows come in one order whatever the process's hash seed
    keys_of = {t: sorted(set().union(*(docs[(p.code, t)] for p in periods)), key=repr) for t in municipalities}
    every_key = sorted(set().union(*keys_of.values()), key=repr) if keys_of else []
    for p in periods:
        for t in municipalities:
            row = docs[(p.code, t)]
            table.values |= {(p.code, t, *k): row.get(k, 0) for k in keys_of[t] if _belongs(k, p)}
        for k in every_key:
            if not _belongs(k, p):
                continue
            table.values[(p.code, CONSOLIDATED, *k)] = sum(docs[(p.code, t)].get(k, 0) for t in municipalities)
        if distinct is not None:
            table.values[(p.code, CONSOLIDATED, "distinct")] = distinct[p.code]
            # never shown, but the ESF sum minus the distinct count gives it: the people served in
            # more than one municipality (counted once for each extra one), protected like any cell
            total = table.values[(p.code, CONSOLIDATED, "served", "total")]
            table.values[(p.code, CONSOLIDATED, "overlap")] = total - distinct[p.code]
    for p in periods:
        for t in municipalities:
            _relations_within(table, (p.code, t), keys_of[t])
        _relations_within(table, (p.code, CONSOLIDATED), every_key)
        for k in every_key:  # the consolidated row is the sum of the municipalities (the ESF sum)
            table.add((p.code, CONSOLIDATED, *k), [(p.code, t, *k) for t in municipalities])
        # the region-wide distinct count: at least the largest municipality, at most their sum
        table.add(
            (p.code, CONSOLIDATED, "distinct"), [(p.code, t, "served", "total") for t in municipalities], distinct=True
        )
        table.add(
            (p.code, CONSOLIDATED, "served", "total"), [(p.code, CONSOLIDATED, x) for x in ("distinct", "overlap")]
        )
        children = p.children()
        if not children:
            continue
        for t in [*municipalities, CONSOLIDATED]:
            for k in keys_of.get(t, every_key):
                # people count once per period: a period's people lie between its largest part and the sum
                table.add(
                    (p.code, t, *k), [(c.code, t, *k) for c in children], distinct=k[0] in ("served", "served_age")
                )
        table.add(
            (p.code, CONSOLIDATED, "distinct"), [(c.code, CONSOLIDATED, "distinct") for c in children], distinct=True
        )
    return table


def _shown(table: LinkedTable, hidden: set[Cell], cell: Cell) -> int | None:
    return None if cell in hidden else table.values.get(cell, 0)


def _block(values: dict[str, int | None]) -> dict[str, Any]:
    hidden = sorted(k for k, v in values.items() if v is None)
    return {**values, "suppressed": hidden} if hidden else dict(values)


def _items_shown(
    table: LinkedTable, hidden: set[Cell], prefix: Cell, field: str, keys: list[str]
) -> list[dict[str, Any]]:
    return [_block({"total": _shown(table, hidden, (*prefix, k))}) | {field: k} for k in keys]


def render(table: LinkedTable, hidden: set[Cell], code: str, who: str, doc: dict[str, Any]) -> dict[str, Any]:
    """One row of an answer, in the shape of the municipality's own indicators; hidden cells are ``null``."""
    keys = {c[2:] for c in table.values if c[:2] == (code, who)}

    def shown(*key: Any) -> int | None:
        return _shown(table, hidden, (code, who, *key))

    def listed(*prefix: str) -> list[str]:
        return sorted({k[len(prefix)] for k in keys if k[: len(prefix)] == prefix})

    at = (code, who)
    ages = listed("served_age")
    by_age = {"beneficiaries_served_by_age": _block({g: shown("served_age", g) for g in ages})} if ages else {}
    return by_age | {
        "beneficiaries_served": _block({g: shown("served", g) for g in GENDER_TOTAL}),
        "new_beneficiaries": _block({g: shown("new", g) for g in GENDER_TOTAL}),
        "requests": _block({"total": shown("requests", "total")})
        | {
            "by_category": _items_shown(
                table, hidden, (*at, "requests", "by_category"), "category", listed("requests", "by_category")
            ),
            "by_structure_and_gender": [
                {"structure": s, **_block({g: shown("requests", "by_structure", s, g) for g in GENDER_TOTAL})}
                for s in listed("requests", "by_structure")
            ],
        },
        "referrals": _block({"total": shown("referrals", "total")})
        | {
            name: _items_shown(table, hidden, (*at, "referrals", name), "key", listed("referrals", name))
            for name in REFERRAL_BREAKDOWNS
        },
        "home_visits_by_purpose": _items_shown(
            table, hidden, (*at, "home_visits", "by_purpose"), "key", listed("home_visits", "by_purpose")
        ),
        "activities": {
            # meetings and events of the centre: about no one, shown as they are
            "networking_meetings": doc["activities"]["networking_meetings"],
            "community_events": doc["activities"]["community_events"],
            "by_kind": sorted(
                [item for item in doc["activities"]["by_kind"] if item["key"] in ABOUT_NO_ONE]
                + _items_shown(table, hidden, (*at, "activities", "by_kind"), "key", listed("activities", "by_kind")),
                key=lambda item: str(item["key"]),
            ),
        },
    }


@dataclass(frozen=True)
class ProtectedYear:
    table: LinkedTable
    hidden: frozenset[Cell]
    docs: dict[tuple[str, str], dict[str, Any]]
    distinct: bool


class RegionalFigures:
    """A Region's answers, one protected table per year, kept while the figures behind it are unchanged."""

    def __init__(self, *, keep: int = 32) -> None:
        self._years: OrderedDict[Hashable, ProtectedYear] = OrderedDict()
        # every cell ever hidden in a region's year, in this process: hidden once, hidden for good
        self._hidden_before: dict[Hashable, frozenset[Cell]] = {}
        # every value each cell of a region's year was shown with, in this process: shown once, known for good
        self._shown_before: dict[Hashable, dict[Cell, frozenset[int]]] = {}
        self._lock = threading.Lock()
        self._keep = keep

    def answer(
        self,
        region: str,
        municipalities: list[Municipality],
        period: Period,
        figures: Figures,
        *,
        links: Links | None = None,
        distinct: Distinct = len,
        version: Hashable = None,
    ) -> dict[str, Any]:
        """The region's answer for one fixed period. ``version`` names the state of the figures (a cache key)."""
        tenants = [m.tenant for m in municipalities]
        year = self._year(region, tenants, period.year, figures, (links, distinct), version)
        answer: dict[str, Any] = {
            "region": region,
            "period": period.code,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "disclosure_control": METHOD,
            "municipalities": [
                {
                    "tenant": m.tenant,
                    "name_el": m.name_el,
                    "indicators": render(
                        year.table, set(year.hidden), period.code, m.tenant, year.docs[(period.code, m.tenant)]
                    ),
                }
                for m in municipalities
            ],
            "consolidated": None,
        }
        if municipalities:
            consolidated = render(
                year.table, set(year.hidden), period.code, CONSOLIDATED, _activities(year.docs, period, tenants)
            )
            if year.distinct:
                people = _shown(year.table, set(year.hidden), (period.code, CONSOLIDATED, "distinct"))
                consolidated["people_served_region_wide"] = _block({"distinct": people})
            answer["consolidated"] = consolidated
        return answer

    def _year(  # noqa: PLR0917 - the answer's parts, passed on
        self,
        region: str,
        tenants: list[str],
        year: int,
        figures: Figures,
        linkage: tuple[Links | None, Distinct],
        version: Hashable,
    ) -> ProtectedYear:
        links, count = linkage
        key = (region, tuple(tenants), year, links is not None, version)
        with self._lock:
            if version is not None and key in self._years:
                self._years.move_to_end(key)
                return self._years[key]
        periods = year_periods(year)
        docs = {(p.code, t): figures(t, p.start, p.end) for p in periods for t in tenants}
        distinct: dict[str, int] | None = None
        if links is not None:
            counted = {p.code: count(set().union(*(links(t, p.start, p.end) for t in tenants))) for p in periods}
            # one period that cannot be counted (links under two keys): no distinct figure for the year
            if all(n is not None for n in counted.values()):
                distinct = {code: n for code, n in counted.items() if n is not None}
        cells = {(p.code, t): cells_of(docs[(p.code, t)], detail=detailed(p)) for p in periods for t in tenants}
        table = build_table(tenants, cells, periods, distinct)
        lineage = key[:-1]  # the same year of the same region, any version of its figures
        with self._lock:
            before = self._hidden_before.get(lineage, frozenset())
            published = dict(self._shown_before.get(lineage, {}))
        hidden = frozenset(protect(table, before, published))
        protected = ProtectedYear(table, hidden, docs, distinct is not None)
        with self._lock:
            self._hidden_before[lineage] = self._hidden_before.get(lineage, frozenset()) | hidden
            # every shown cell of the year counts as published: any of its answers may have been read
            shown = self._shown_before.setdefault(lineage, {})
            for cell, value in table.values.items():
                if cell not in hidden:
                    shown[cell] = shown.get(cell, frozenset()) | {value}
            self._years[key] = protected
            while len(self._years) > self._keep:
                self._years.popitem(last=False)
        return protected


def _activities(docs: dict[tuple[str, str], dict[str, Any]], period: Period, tenants: list[str]) -> dict[str, Any]:
    rows = [docs[(period.code, t)]["activities"] for t in tenants]
    kinds: dict[str, int] = {}
    for row in rows:
        for item in row["by_kind"]:
            kinds[item["key"]] = kinds.get(item["key"], 0) + int(item["total"])
    return {
        "activities": {
            "networking_meetings": sum(int(r["networking_meetings"]) for r in rows),
            "community_events": sum(int(r["community_events"]) for r in rows),
            "by_kind": [{"key": k, "total": v} for k, v in sorted(kinds.items())],
        }
    }


def requested_period(period: str | None, start: date | None, end: date | None) -> Period:
    """A fixed period, by its code or by the exact dates it spans."""
    if period is not None:
        return parse_period(period)
    if start is None or end is None:
        raise InvalidValueError(f"give a reporting period, e.g. period={EXAMPLES.split(',')[0]}", field="period")
    if end < start:
        raise InvalidValueError("'to' is before 'from'", field="to")
    return period_of(start, end)


Member = tuple[Municipality, RegionalViews]
"""A municipality of the Region with its store in the Region (``RegionalViews``), caught up by the caller."""


def regional_answer(region: str, period: Period, members: Sequence[Member], cache: RegionalFigures) -> dict[str, Any]:
    """The Region's answer for a fixed period: the one consolidation the API, the pages and the CLI call."""
    stores = {m.tenant: views for m, views in members}

    def figures(tenant_id: str, start: date, end: date) -> dict[str, Any]:
        doc = stores[tenant_id].read(queries.indicators, start, end, None)
        return doc | {"served_by_age": stores[tenant_id].read(queries.served_by_age, start, end)}

    def links(tenant_id: str, start: date, end: date) -> set[str]:
        return stores[tenant_id].read(queries.served_links, start, end)

    def distinct(union: set[str]) -> int | None:
        try:
            return queries.distinct_people(union)
        except queries.MixedLinkKeysError:
            return None  # a Region's store half rebuilt after a new linkage key (docs/regions.md)

    version = tuple(views.position() for _, views in members)
    municipalities = [m for m, _ in members]
    return cache.answer(region, municipalities, period, figures, links=links, distinct=distinct, version=version)


def regional_lag(members: Sequence[Member]) -> dict[str, dict[str, Any]]:
    """Per municipality: seconds from recording there to effect in the Region's figures."""
    return {m.tenant: views.lag() for m, views in members}
