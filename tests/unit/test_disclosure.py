"""Disclosure control: the attacker's intervals (the audit) and the cells chosen to hide (protect)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.disclosure import GENDER_CELLS, PROTECTION, THRESHOLD, LinkedTable, Relation, audit, protect

COUNTS = st.sampled_from([0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 9, 40, 250])


def grid(rows: dict[str, dict[str, int]], *, periods: int = 1, distinct: bool = False) -> LinkedTable:
    """Municipalities x genders with their totals and the consolidated row; ``periods`` parts of a whole."""
    table = LinkedTable()
    codes = [f"p{i}" for i in range(periods)]
    for code in codes:
        for m, row in rows.items():
            scale = 1 if code == "p0" else 1 + int(code[1:])  # later parts differ from the first
            for g in GENDER_CELLS:
                table.values[(code, m, g)] = row[g] * scale if row[g] != 1 else 1
            table.values[(code, m, "total")] = sum(table.values[(code, m, g)] for g in GENDER_CELLS)
    if periods > 1:  # the whole: the parts' sum, or for distinct people between their largest and their sum
        for m in rows:
            for g in (*GENDER_CELLS, "total"):
                parts = [table.values[(c, m, g)] for c in codes]
                table.values[("all", m, g)] = max(parts) if distinct else sum(parts)
            if distinct:
                table.values[("all", m, "total")] = sum(table.values[("all", m, g)] for g in GENDER_CELLS)
        codes.append("all")
    for code in codes:
        for g in (*GENDER_CELLS, "total"):
            table.values[(code, "*", g)] = sum(table.values[(code, m, g)] for m in rows)
        for m in [*rows, "*"]:
            table.add((code, m, "total"), [(code, m, g) for g in GENDER_CELLS])
        for g in (*GENDER_CELLS, "total"):
            table.add((code, "*", g), [(code, m, g) for m in rows])
    if periods > 1:
        for m in [*rows, "*"]:
            for g in (*GENDER_CELLS, "total"):
                table.add(("all", m, g), [(c, m, g) for c in codes[:-1]], distinct=distinct)
    return table


def shown_after(table: LinkedTable, hidden: set[tuple[object, ...]]) -> dict[tuple[object, ...], int | None]:
    return {c: None if c in hidden else v for c, v in table.values.items()}


A, B, TOTAL = ("a",), ("b",), ("total",)
YEAR, H1, H2 = ("year",), ("h1",), ("h2",)
Q, M1, M2, M3 = ("q",), ("m1",), ("m2",), ("m3",)


def test_the_audit_gives_back_a_cell_hidden_alone_beside_its_total() -> None:
    shown: dict[tuple[object, ...], int | None] = {A: None, B: 7, TOTAL: 9}
    intervals = audit(shown, [Relation(TOTAL, (A, B))])
    assert (intervals[A].low, intervals[A].high) == (2, 2)


def test_the_audit_sees_through_a_subtraction_of_two_periods() -> None:
    # the year minus its first half gives the second half back, although the halves' rows hid it
    shown: dict[tuple[object, ...], int | None] = {YEAR: 10, H1: 7, H2: None}
    assert audit(shown, [Relation(YEAR, (H1, H2))])[H2].width == 0


def test_the_audit_bounds_people_counted_once_per_period_by_its_parts() -> None:
    # people of a quarter: at least its busiest month, at most the sum of its months
    shown: dict[tuple[object, ...], int | None] = {Q: None, M1: 3, M2: 2, M3: 0}
    interval = audit(shown, [Relation(Q, (M1, M2, M3), distinct=True)])[Q]
    assert (interval.low, interval.high) == (3, 5)


def test_a_lone_small_cell_beside_a_total_that_equals_it_is_not_given_away_by_the_total() -> None:
    # Tyrnavos, March 2024: 3 women and nobody else
    table = grid(
        {
            "tyrnavos": {"female": 3, "male": 0, "non_binary": 0, "unknown": 0},
            "karditsa": {"female": 60, "male": 40, "non_binary": 0, "unknown": 0},
        }
    )
    hidden = protect(table)
    assert ("p0", "tyrnavos", "female") in hidden
    assert ("p0", "tyrnavos", "total") in hidden
    intervals = audit(shown_after(table, hidden), table.relations)
    assert all(i.width >= PROTECTION for i in intervals.values()), intervals


def test_a_municipality_and_the_region_hide_together_what_subtraction_would_give_back() -> None:
    # Karditsa's one non-binary person: the region's row minus the others' must not give it back
    rows = {
        "sofades": {"female": 300, "male": 277, "non_binary": 0, "unknown": 0},
        "karditsa": {"female": 500, "male": 507, "non_binary": 1, "unknown": 0},
        "tyrnavos": {"female": 40, "male": 30, "non_binary": 0, "unknown": 0},
    }
    table = grid(rows)
    hidden = protect(table)
    assert ("p0", "karditsa", "non_binary") in hidden
    assert ("p0", "*", "non_binary") in hidden
    assert all(i.width >= PROTECTION for i in audit(shown_after(table, hidden), table.relations, whole=True).values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.dictionaries(
        st.sampled_from(["a", "b", "c", "d"]),
        st.fixed_dictionaries(dict.fromkeys(GENDER_CELLS, COUNTS)),
        min_size=1,
        max_size=4,
    ),
    periods=st.sampled_from([1, 1, 2, 3]),
    distinct=st.booleans(),
)
def test_every_hidden_cell_of_a_protected_table_keeps_an_interval_of_at_least_the_protection_width(
    rows: dict[str, dict[str, int]], periods: int, distinct: bool
) -> None:
    table = grid(rows, periods=periods, distinct=distinct)
    hidden = protect(table)
    small = {c for c, v in table.values.items() if 0 < v < THRESHOLD}
    assert small <= hidden
    assert not any(table.values[c] == 0 for c in hidden)  # zeros are shown: they are about no one
    # the attacker who also knows counts are whole: the integer programme's exact bounds
    for cell, interval in audit(shown_after(table, hidden), table.relations, whole=True).items():
        assert interval.low <= table.values[cell] <= interval.high
        assert interval.width >= PROTECTION, (cell, interval)
