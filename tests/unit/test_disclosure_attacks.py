"""Attacks on the regional disclosure control with what an analyst knows beyond the table's sums.

Each attacker here uses a fact that holds of every published answer but that the audit does not
model, written as extra relations with a hidden slack cell (``x = y + slack`` with ``slack >= 0``
says ``x >= y``), and asks the same linear programme for the hidden cells' intervals:
- zeros are always shown (docs/regions.md, services/disclosure.py), so a hidden cell holds at least 1;
- a registration is a contact on the intake day (projections/fold.py, ``CONTACT_KINDS``), so the new
  beneficiaries of a period, of each gender, are among the people served in it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.periods import Period, parse_period, year_periods
from services.disclosure import GENDER_CELLS, PROTECTION, THRESHOLD, Cell, LinkedTable, Relation, audit, protect
from services.regions import Municipality, RegionalFigures, build_table
from tests.integration.test_regional_disclosure import published, relations  # the attacker's reading of answers

INDIVIDUAL_SESSIONS = ("counselling_session", "psychosocial_session")


def shown_after(table: LinkedTable, hidden: set[Cell]) -> dict[Cell, int | None]:
    return {c: None if c in hidden else v for c, v in table.values.items()}


def at_least(shown: dict[Cell, int | None], cell: Cell, floor: Cell | list[Cell], name: str) -> Relation:
    """``cell >= sum(floor)``: the audit's own bound (a slack cell would be a hidden cell, at least 1)."""
    parts = floor if isinstance(floor, list) else [floor]
    assert len(parts) == 1, "a bound by one cell"
    return Relation(cell, tuple(parts), at_least=True)


def narrowed(shown: dict[Cell, int | None], relations: list[Relation]) -> dict[Cell, tuple[float, float]]:
    intervals = audit(shown, relations)
    return {c: (i.low, i.high) for c, i in intervals.items() if c[0] != "slack" and i.width < PROTECTION}


def test_a_hidden_cell_cannot_be_narrowed_by_knowing_that_zeros_are_shown() -> None:
    # 6 requests: 2 of one category, 4 of another. Both are hidden; each alone is [0, 6] to the audit.
    # But zeros are always shown, so a hidden cell is at least 1, and each is [1, 5]: 4 wide.
    table = LinkedTable()
    table.values = {("requests", "total"): 6, ("requests", "a"): 2, ("requests", "b"): 4}
    table.add(("requests", "total"), [("requests", "a"), ("requests", "b")])
    hidden = protect(table)
    shown = shown_after(table, hidden)
    one: Cell = ("one",)
    shown[one] = 1
    known = [*table.relations, *(at_least(shown, c, one, "nonzero") for c in hidden)]
    assert narrowed(shown, known) == {}


def _year_of_one_person(served: dict[str, int], new: dict[str, int]) -> LinkedTable:
    """One municipality whose people were all served in January (and in no other month) of 2022."""
    periods = year_periods(2022)

    def row(period: Period) -> dict[Cell, int]:
        on = int(period.start.month == 1)
        cells: dict[Cell, int] = {("served", g): served[g] * on for g in GENDER_CELLS}
        cells |= {("new", g): new[g] * on for g in GENDER_CELLS}
        cells[("served", "total")] = sum(cells[("served", g)] for g in GENDER_CELLS)
        cells[("new", "total")] = sum(cells[("new", g)] for g in GENDER_CELLS)
        cells[("requests", "total")] = 0
        cells[("referrals", "total")] = 0
        return cells

    return build_table(["tyrnavos"], {(p.code, "tyrnavos"): row(p) for p in periods}, periods, None)


def test_a_hidden_cell_cannot_be_narrowed_by_the_new_beneficiaries_being_among_those_served() -> None:
    # Every man served registered this year; the one non-binary person registered in an earlier year.
    # Served: the total and the women are shown, so men + non-binary = 101; new men (100) are shown,
    # and new men are among the men served: men >= 100, so the non-binary cell is [0, 1].
    table = _year_of_one_person(
        served={"female": 120, "male": 100, "non_binary": 1, "unknown": 0},
        new={"female": 30, "male": 100, "non_binary": 0, "unknown": 0},
    )
    hidden = protect(table)
    assert ("2022", "tyrnavos", "served", "non_binary") in hidden
    shown = shown_after(table, hidden)
    known = list(table.relations)
    for cell in [c for c in table.values if c[2] == "new"]:
        known.append(at_least(shown, (*cell[:2], "served", *cell[3:]), cell, "new-is-served"))
    assert narrowed(shown, known) == {}


def _indicators(sessions: dict[str, int], *, july: bool) -> dict[str, Any]:
    """A municipality's indicators (projections.queries.indicators' shape): people and sessions in July only."""
    people = {"female": 40 * july, "male": 35 * july, "non_binary": 0, "unknown": 0, "total": 75 * july}
    sessions = {k: v for k, v in sessions.items() if july}
    return {
        "beneficiaries_served": {"period": dict(people)},
        "new_beneficiaries": dict(people),
        "requests": {"total": 0, "by_category": [], "by_structure_and_gender": []},
        "referrals": {"total": 0, "by_structure": [], "by_destination": [], "by_outcome": []},
        "activities": {
            "networking_meetings": 0,
            "community_events": 0,
            "by_kind": [{"key": k, "total": v} for k, v in sorted(sessions.items())],
            "home_visits_by_purpose": [],
        },
    }


def test_a_regional_answer_shows_no_count_of_1_to_4_individual_sessions() -> None:
    # A counselling or psychosocial session names the people it served (domain/activities.py): 2
    # psychosocial sessions in a month are, like 2 requests, a figure about one or two people's health.
    def figures(tenant: str, start: date, end: date) -> dict[str, Any]:
        return _indicators({"psychosocial_session": 2, "counselling_session": 1}, july=start <= date(2022, 7, 1) <= end)

    answer = RegionalFigures().answer(
        "thessaly", [Municipality("tyrnavos", "Δήμος Τυρνάβου")], parse_period("2022-07"), figures
    )
    rows = [m["indicators"] for m in answer["municipalities"]] + [answer["consolidated"]]
    small = [
        (item["key"], item["total"])
        for row in rows
        for item in row["activities"]["by_kind"]
        if item["key"] in INDIVIDUAL_SESSIONS and item["total"] is not None and 0 < item["total"] < THRESHOLD
    ]
    assert small == []


def test_a_regional_answer_does_not_show_that_one_person_was_served_in_both_of_its_municipalities() -> None:
    # Two municipalities of 30 people each in July; one person, linked, was served in both. The sum
    # (60) and the distinct count (59) are both shown: their difference is that one person, and with
    # two municipalities "in more than one" is "in this one and in that one" (docs/regions.md says
    # the number is "tied to no municipality").
    def people(tenant: str, start: date, end: date) -> set[str]:
        if not start <= date(2022, 7, 1) <= end:
            return set()
        own = {f"local:{tenant}-{n}" for n in range(29)}
        return own | {"kid:shared-person"}

    def figures(tenant: str, start: date, end: date) -> dict[str, Any]:
        july = start <= date(2022, 7, 1) <= end
        doc = _indicators({}, july=july)
        served = {"female": 15 * july, "male": 15 * july, "non_binary": 0, "unknown": 0, "total": 30 * july}
        doc["beneficiaries_served"]["period"] = served
        doc["new_beneficiaries"] = dict(served)
        return doc

    towns = [Municipality("sofades", "Δήμος Σοφάδων"), Municipality("karditsa", "Δήμος Καρδίτσας")]
    answer = RegionalFigures().answer("thessaly", towns, parse_period("2022-07"), figures, links=people)
    summed = answer["consolidated"]["beneficiaries_served"]["total"]
    distinct = answer["consolidated"]["people_served_region_wide"]["distinct"]
    shown_overlap = None if summed is None or distinct is None else summed - distinct
    assert shown_overlap is None or not 0 < shown_overlap < THRESHOLD, (summed, distinct)


def _requests_in_july(categories: dict[str, int], *, july: bool) -> dict[str, Any]:
    """A municipality whose people and requests (by category) all fall in July."""
    doc = _indicators({}, july=july)
    items = [{"category": k, "total": v * july} for k, v in sorted(categories.items())]
    doc["requests"] = {"total": sum(v * july for v in categories.values()), "by_category": items}
    doc["requests"]["by_structure_and_gender"] = []
    return doc


def _both_versions() -> tuple[dict[str, Any], dict[str, Any]]:
    """The 19 answers of 2022, published before and after one GMI request is recorded in Sofades.

    Karditsa's figures do not move (the analyst sees it on /lag): its 5 GMI requests of July are shown
    in both readings. Sofades' new request is a cell of 1, and the smallest shown cell beside it is
    Karditsa's 5 in the consolidated sum: hiding that one again protects nothing, since the first
    reading showed it, and 6 - 5 gives the 1 back.
    """
    counts = {"karditsa": {"gmi": 5, "housing_benefit": 30}, "sofades": {"gmi": 0, "housing_benefit": 40}}

    def figures(tenant: str, start: date, end: date) -> dict[str, Any]:
        return _requests_in_july(counts[tenant], july=start <= date(2022, 7, 1) <= end)

    towns = [Municipality("karditsa", "Δήμος Καρδίτσας"), Municipality("sofades", "Δήμος Σοφάδων")]
    cache = RegionalFigures()

    def read(version: int) -> dict[str, Any]:
        return {p.code: cache.answer("thessaly", towns, p, figures, version=version) for p in year_periods(2022)}

    first = read(1)
    counts["sofades"] = {"gmi": 1, "housing_benefit": 40}
    return first, read(2)


def test_a_cell_published_unchanged_is_never_hidden_in_a_later_version_to_protect_another() -> None:
    first, second = _both_versions()
    before = {c: v for a in first.values() for c, v in published(a).items()}
    after = {c: v for a in second.values() for c, v in published(a).items()}
    assert after[("2022", "sofades", "requests", "by_category", "gmi")] is None  # the new request, a 1
    hidden_again = sorted(c for c, v in before.items() if v is not None and after[c] is None and c[1] == "karditsa")
    assert hidden_again == []


def test_nothing_hidden_in_either_version_is_given_back_by_the_union_of_both() -> None:
    first, second = _both_versions()
    before = {c: v for a in first.values() for c, v in published(a).items()}
    after = {c: v for a in second.values() for c, v in published(a).items()}
    tenants, periods = ["karditsa", "sofades"], year_periods(2022)
    cells = {("v1", *c): v for c, v in before.items()} | {("v2", *c): v for c, v in after.items()}
    known = [
        Relation((tag, *r.total), tuple((tag, *p) for p in r.parts), r.distinct, r.at_least)
        for tag, version in (("v1", before), ("v2", after))
        for r in relations(version, periods, tenants)
    ]
    # Karditsa did not move: each of its cells is the same in both readings, shown or not
    known += [Relation(("v1", *c), (("v2", *c),)) for c in before if c[1] == "karditsa" and c in after]
    assert narrowed(cells, known) == {}


def test_one_person_of_65_or_over_is_not_given_back_by_the_age_groups_and_the_people_served() -> None:
    # 75 people served in July, one of them 65 or over at entry: the age groups add up to the people
    # served, so with the total and the other groups shown, 75 minus the rest would be that one person.
    def figures(tenant: str, start: date, end: date) -> dict[str, Any]:
        july = start <= date(2022, 7, 1) <= end
        ages = {"under_18": 10, "18_29": 20, "30_54": 30, "55_64": 14, "65_plus": 1}
        return _indicators({}, july=july) | {"served_by_age": {g: n * july for g, n in ages.items()}}

    towns = [Municipality("tyrnavos", "Δήμος Τυρνάβου")]
    cache = RegionalFigures()
    answers = {p.code: cache.answer("thessaly", towns, p, figures) for p in year_periods(2022)}
    assert "beneficiaries_served_by_age" not in answers["2022-07"]["consolidated"], "half-years and years only"
    cells = {c: v for a in answers.values() for c, v in published(a).items()}
    assert cells[("2022", "tyrnavos", "served_age", "65_plus")] is None
    assert cells[("2022-H2", "*", "served_age", "65_plus")] is None
    assert narrowed(cells, relations(cells, year_periods(2022), ["tyrnavos"])) == {}
