"""An analyst attacks the Region's dashboards (issue 26) on the demo: across tables, periods and since opening.

She collects the dashboard of every fixed period of a year and the since-opening one, reads every
table as cells (people served by gender, by age group and per month, new beneficiaries, requests and referrals and
their breakdowns, the region-wide count, beneficiaries since opening and the years side by side), and
uses every relation docs/regions.md says holds between them, plus the since-opening sums. Subtraction
recovers no hidden cell and the linear programme leaves every hidden cell at least 5 wide. And no
dashboard cell is one its period's protected answer hides, or differs from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.periods import year_periods
from gateways.regional import consolidate, region_dashboard
from infra.bootstrap import Kentra
from services.disclosure import PROTECTION, Cell, Relation, audit
from tests.integration.demo import demo_platform
from tests.integration.test_regional_disclosure import published, relations, subtract

pytestmark = pytest.mark.slow
YEARS = {"thessaly": 2022, "central-macedonia": 2022}
GENDERS = ("female", "male", "non_binary", "unknown", "total")


@pytest.fixture(scope="module")
def demo(demo_data: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kentra]:
    kentra = demo_platform(demo_data[0], tmp_path_factory.mktemp("dashboard-attack") / "data")
    yield kentra
    kentra.close()


def _rows(doc: dict[str, Any], table: str) -> dict[str, list[Any]]:
    found = [t for t in doc["tables"] if t["id"] == table]
    return {r["key"]: r["cells"] for r in found[0]["rows"]} if found else {}


def _columns(doc: dict[str, Any], table: str) -> list[str]:
    return next(t["columns"] for t in doc["tables"] if t["id"] == table)


def dashboard_cells(doc: dict[str, Any]) -> tuple[dict[Cell, Any], list[Relation]]:
    """Every count a dashboard shows, keyed as the answers' cells are; and its since-opening sums."""
    code = doc["period"]
    cells: dict[Cell, Any] = {}
    since: list[Relation] = []
    if code == "since-opening":
        for table, measure in (
            ("trend", "beneficiaries_served"),
            ("new_by_year", "new_beneficiaries"),
            ("requests_by_year", "requests"),
        ):
            years = _columns(doc, table)
            for who, values in _rows(doc, table).items():
                cells |= {(y, who, measure, "total"): v for y, v in zip(years, values, strict=True)}
        for who, (value,) in _rows(doc, "since_opening").items():
            cells[("since", code, who)] = value
            since.append(Relation(("since", code, who), tuple((y, who, "new_beneficiaries", "total") for y in years)))
        return cells, since
    for table, measure in (("served", "beneficiaries_served"), ("new", "new_beneficiaries")):
        for who, values in _rows(doc, table).items():
            cells |= {(code, who, measure, g): v for g, v in zip(GENDERS, values, strict=True)}
    for who, values in _rows(doc, "served_by_age").items():  # half-years and years
        ages = _columns(doc, "served_by_age")
        cells |= {(code, who, "served_age", g): v for g, v in zip(ages, values, strict=True)}
    months = _columns(doc, "trend")
    for who, values in _rows(doc, "trend").items():
        cells |= {(m, who, "beneficiaries_served", "total"): v for m, v in zip(months, values, strict=True)}
    for who, values in _rows(doc, "work").items():
        cells[(code, who, "requests", "total")], cells[(code, who, "referrals", "total")] = values[:2]
    region_wide = _rows(doc, "people_region_wide")
    if region_wide:
        cells[(code, "*", "distinct")] = region_wide["distinct"][0]
    for table, where in (
        ("requests_by_category", ("requests", "by_category")),
        ("referrals_by_destination", ("referrals", "by_destination")),
        ("referrals_by_outcome", ("referrals", "by_outcome")),
    ):
        if not _rows(doc, table):
            continue
        towns = _columns(doc, table)
        for key, values in _rows(doc, table).items():
            cells |= {(code, who, *where, key): v for who, v in zip(towns, values, strict=True)}
    for key, values in _rows(doc, "requests_by_structure").items():
        who, structure = key.split("/", 1)
        cells |= {
            (code, who, "requests", "by_structure", structure, g): v for g, v in zip(GENDERS, values, strict=True)
        }
    parts = next((t.get("parts") for t in doc["tables"] if t["id"] == "since_opening"), None) or []
    for who, (value,) in _rows(doc, "since_opening").items():
        cells[("since", code, who)] = value
        since.append(Relation(("since", code, who), tuple((p, who, "new_beneficiaries", "total") for p in parts)))
    return cells, since


@pytest.mark.parametrize("region", list(YEARS))
def test_no_dashboard_cell_is_one_the_protected_answer_hides_or_another_number(demo: Kentra, region: str) -> None:
    year = YEARS[region]
    for period in year_periods(year):
        shown, _ = dashboard_cells(region_dashboard(demo, region, period.code))
        answered: dict[Cell, Any] = {}
        for part in {c[0] for c in shown if c[0] != "since"}:
            answered |= published(
                consolidate(demo, region, next(p for p in year_periods(int(part[:4])) if p.code == part))
            )
        for cell, value in shown.items():
            if cell[0] == "since":
                continue
            if cell not in answered:  # a breakdown's key the municipality has no row for, all year: none
                assert cell[3:4] in (("by_category",), ("by_destination",), ("by_outcome",)), cell
                assert value == 0, cell
                continue
            assert value == answered[cell], cell


@pytest.mark.parametrize("region", list(YEARS))
def test_no_hidden_cell_is_given_back_across_the_dashboards_tables_periods_and_since_opening(
    demo: Kentra, region: str
) -> None:
    year = YEARS[region]
    cells: dict[Cell, Any] = {}
    sums: list[Relation] = []
    tenants: list[str] = []
    for code in [*(p.code for p in year_periods(year)), "since-opening"]:
        doc = region_dashboard(demo, region, code)
        tenants = [m["tenant"] for m in doc["municipalities"]]
        shown, since = dashboard_cells(doc)
        cells |= shown
        sums += since
    # the since-opening sums reach into other years: their new beneficiaries are cells of those years
    for relation in sums:
        for part in relation.parts:
            if part not in cells:
                found = published(
                    consolidate(demo, region, next(p for p in year_periods(int(part[0][:4])) if p.code == part[0]))
                )
                cells[part] = found[part]
    assert any(v is None for v in cells.values()), "the demo's dashboards hide cells"
    known = relations(cells, year_periods(year), tenants) + sums
    assert subtract(cells, known) == {}
    intervals = audit(cells, known)
    assert {c: i for c, i in intervals.items() if i.width < PROTECTION} == {}
