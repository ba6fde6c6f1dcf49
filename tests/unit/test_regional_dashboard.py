"""The Region's dashboard attacked: derived figures never give back a hidden cell (issue 26).

The dashboard's tables are cut from the protected answers of ``services.regions``; what it adds is
beneficiaries since opening (a sum of shown yearly counts) and rates per 1,000 residents. Each test
here is an analyst trying to recover a hidden cell from those, or a region of one municipality
trying to show more than a region of three.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from domain.errors import InvalidValueError
from domain.periods import parse_period, year_periods
from domain.tenants import Population
from services.regional_dashboard import (
    NOT_AVAILABLE,
    SINCE_OPENING,
    Member,
    chosen_span,
    dashboard,
    year_to_date,
)
from services.regions import Municipality, RegionalFigures

TODAY = date(2023, 6, 15)


def indicators(people: dict[str, int], new: dict[str, int], requests: int = 0) -> dict[str, Any]:
    """A municipality's indicators in the shape of ``projections.queries.indicators``."""
    served = {**people, "total": sum(people.values())}
    came = {**new, "total": sum(new.values())}
    return {
        "beneficiaries_served": {"period": served},
        "new_beneficiaries": came,
        "requests": {
            "total": requests,
            "by_category": [{"category": "gmi", "total": requests}] if requests else [],
            "by_structure_and_gender": [],
        },
        "referrals": {"total": 0, "by_structure": [], "by_destination": [], "by_outcome": []},
        "activities": {
            "networking_meetings": 3,
            "community_events": 1,
            "by_kind": [],
            "home_visits_by_purpose": [],
        },
    }


def gendered(female: int, male: int) -> dict[str, int]:
    return {"female": female, "male": male, "non_binary": 0, "unknown": 0}


def answers_of(figures: Any, towns: list[Municipality]) -> Any:
    cache = RegionalFigures()
    return lambda period: cache.answer("thessaly", towns, period, figures)


def since_opening_cells(doc: dict[str, Any]) -> dict[str, Any]:
    table = next(t for t in doc["tables"] if t["id"] == "since_opening")
    return {row["key"]: row["cells"][0] for row in table["rows"]}


def test_beneficiaries_since_opening_are_hidden_when_a_year_they_add_up_is_hidden() -> None:
    # 2021: 2 people came in (hidden, a count of 2); 2022: 60 women and 60 men, all shown. Shown as
    # 122, since opening minus 2022's shown 120 would give back 2021's hidden 2.
    def figures(tenant: str, start: date, end: date) -> dict[str, Any]:
        if start.year == 2021:
            return (
                indicators(gendered(1, 1), gendered(1, 1))
                if start.month == 1
                else indicators(gendered(0, 0), gendered(0, 0))
            )
        if start.month <= 6:  # every 2022 intake in the first half: the year and its half show 120
            return indicators(gendered(60, 60), gendered(60, 60))
        return indicators(gendered(0, 0), gendered(0, 0))

    towns = [Municipality("tyrnavos", "Δήμος Τυρνάβου")]
    answer = answers_of(figures, towns)
    members = [Member("tyrnavos", "Δήμος Τυρνάβου", (), opened_year=2021)]
    assert answer(parse_period("2021"))["municipalities"][0]["indicators"]["new_beneficiaries"]["total"] is None
    assert answer(parse_period("2022"))["municipalities"][0]["indicators"]["new_beneficiaries"]["total"] == 120
    doc = dashboard("thessaly", chosen_span("2022", 2021, TODAY), members, answer)
    assert since_opening_cells(doc) == {"tyrnavos": None, "*": None}
    opened = dashboard("thessaly", chosen_span(SINCE_OPENING, 2021, TODAY), members, answer)
    assert since_opening_cells(opened) == {"tyrnavos": None, "*": None}


def test_beneficiaries_since_opening_are_shown_when_every_part_is_and_equal_their_sum() -> None:
    def figures(tenant: str, start: date, end: date) -> dict[str, Any]:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        per_month = 10  # 5 women and 5 men come in every month of 2021 and 2022
        return indicators(gendered(5 * months, 5 * months), gendered(5 * months, 5 * months), requests=per_month)

    members = [Member("tyrnavos", "Δήμος Τυρνάβου", (), opened_year=2021)]
    answer = answers_of(figures, [Municipality("tyrnavos", "Δήμος Τυρνάβου")])
    doc = dashboard("thessaly", chosen_span("2022-Q3", 2021, TODAY), members, answer)
    table = next(t for t in doc["tables"] if t["id"] == "since_opening")
    assert table["parts"] == ["2021", "2022-H1", "2022-Q3"]
    assert since_opening_cells(doc) == {"tyrnavos": 120 + 60 + 30, "*": 210}


def test_the_year_to_date_parts_add_up_to_the_year_up_to_the_period_and_no_further() -> None:
    for period in year_periods(2022):
        parts = year_to_date(period)
        months = [m for p in parts for m in range(p.start.month, p.end.month + 1)]
        assert months == list(range(1, period.end.month + 1)), period.code
        assert all(p.code in {q.code for q in year_periods(2022)} for p in parts)


def test_a_rate_per_1000_residents_of_a_hidden_count_is_hidden_and_of_a_shown_one_is_the_count_per_1000() -> None:
    def figures(tenant: str, start: date, end: date) -> dict[str, Any]:
        if tenant == "sofades":  # 2 men served: hidden, and the total with them (their women are 0)
            return indicators(gendered(0, 2), gendered(0, 0), requests=40)
        size = {"karditsa": 50, "tyrnavos": 30}[tenant]
        return indicators(gendered(size, size), gendered(0, 0), requests=100)

    names = {"sofades": "Δήμος Σοφάδων", "karditsa": "Δήμος Καρδίτσας", "tyrnavos": "Δήμος Τυρνάβου"}
    towns = [Municipality(t, n) for t, n in names.items()]
    residents = {"sofades": 10_000, "karditsa": 40_000, "tyrnavos": 20_000}
    members = [Member(t, n, (), population=residents[t], population_source="test") for t, n in names.items()]
    doc = dashboard("thessaly", chosen_span("2022", 2022, TODAY), members, answers_of(figures, towns))
    served = {r["key"]: r["cells"][-1] for r in next(t for t in doc["tables"] if t["id"] == "served")["rows"]}
    rates = {r["key"]: r["cells"] for r in next(t for t in doc["tables"] if t["id"] == "rates")["rows"]}
    assert served["sofades"] is None
    assert rates["sofades"][1] is None  # 0.2 per 1,000 of 10,000 residents would be the 2 men
    for tenant in names:
        count = served[tenant]
        assert rates[tenant][1] == (None if count is None else round(count * 1000 / residents[tenant], 1)), tenant
    assert any(served[t] is not None for t in names), "some rate is shown"
    assert rates["*"][0] == 70_000


def test_without_a_population_in_the_registry_no_rate_is_shown() -> None:
    def figures(tenant: str, start: date, end: date) -> dict[str, Any]:
        return indicators(gendered(30, 20), gendered(0, 0), requests=100)

    towns = [Municipality("sofades", "Δήμος Σοφάδων"), Municipality("karditsa", "Δήμος Καρδίτσας")]
    members = [
        Member("sofades", "Δήμος Σοφάδων", (), population=10_000, population_source="test"),
        Member("karditsa", "Δήμος Καρδίτσας", ()),
    ]
    doc = dashboard("thessaly", chosen_span("2022", 2022, TODAY), members, answers_of(figures, towns))
    rates = {r["key"]: r["cells"] for r in next(t for t in doc["tables"] if t["id"] == "rates")["rows"]}
    assert rates["karditsa"] == [NOT_AVAILABLE] * 3
    assert rates["*"] == [NOT_AVAILABLE] * 3  # no regional rate from part of the region's residents
    assert rates["sofades"][1] == 5.0


@pytest.mark.parametrize("code", ["2022", "2022-H2", "2022-Q3", "2022-07", SINCE_OPENING])
def test_a_region_of_one_municipality_shows_in_its_total_row_exactly_its_municipalitys_row(code: str) -> None:
    # Central Macedonia today: the region's total is the one municipality's, so differencing the
    # total and the municipality gives nothing, and the same cells are hidden in both rows.
    def figures(tenant: str, start: date, end: date) -> dict[str, Any]:
        if start.year == 2021:  # a first year of 2 people: hidden, in every table that counts them
            return indicators(gendered(1, 1), gendered(1, 1), requests=2)
        small = start.month == 7 and end.month == 7
        return indicators(gendered(3 if small else 40, 33), gendered(1, 12), requests=7 if small else 90)

    members = [Member("pylaia-chortiatis", "Δήμος Πυλαίας-Χορτιάτη", (("2014-2020", "5002873"),))]
    answer = answers_of(figures, [Municipality("pylaia-chortiatis", "Δήμος Πυλαίας-Χορτιάτη")])
    doc = dashboard("central-macedonia", chosen_span(code, 2021, TODAY), members, answer)
    hidden = 0
    for table in doc["tables"]:
        if table["id"] in ("people_region_wide", "requests_by_structure"):
            continue
        if table["columns"][-1] == "*":  # municipalities side by side: the last column is the region's
            for row in table["rows"]:
                assert row["cells"][-1] == row["cells"][0], (table["id"], row["key"])
                hidden += row["cells"].count(None)
            continue
        rows = {r["key"]: r["cells"] for r in table["rows"]}
        assert rows["*"] == rows["pylaia-chortiatis"], table["id"]
        hidden += rows["*"].count(None)
    assert hidden > 0, "the small July cells are hidden somewhere"


def test_a_period_that_is_no_fixed_one_nor_since_opening_is_refused_with_what_is_accepted() -> None:
    for code in ("2022-07-01", "since opening", "2022-Q5", "1999", "", "<script>"):
        with pytest.raises(InvalidValueError, match=SINCE_OPENING):
            chosen_span(code, 2018, TODAY)


def test_a_population_in_the_registry_names_its_source_and_counts_someone() -> None:
    assert Population(residents=10_000, source_el="Απογραφή 2021, ΕΛΣΤΑΤ").residents == 10_000
    for bad in (
        {"residents": 0, "source_el": "Απογραφή 2021"},
        {"residents": 10_000},
        {"residents": -5, "source_el": "x"},
    ):
        with pytest.raises(ValidationError):
            Population.model_validate(bad)
