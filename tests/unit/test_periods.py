"""Fixed reporting periods: what a Region may ask for, and how staff read it."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidValueError
from domain.periods import parse_period, period_of, year_periods


def test_a_reporting_period_reads_in_greek_for_staff() -> None:
    labels = [parse_period(code).label() for code in ("2022", "2022-H2", "2022-Q3", "2022-07")]
    assert labels == ["2022", "2ο εξάμηνο 2022", "3ο τρίμηνο 2022", "Ιούλιος 2022"]


def test_a_year_has_nineteen_fixed_periods_that_nest() -> None:
    periods = year_periods(2024)
    assert len(periods) == 19
    assert [c.code for c in parse_period("2024-H1").children()] == ["2024-Q1", "2024-Q2"]
    assert [c.code for c in parse_period("2024-Q1").children()] == ["2024-01", "2024-02", "2024-03"]
    assert parse_period("2024-02").end == date(2024, 2, 29)


@pytest.mark.parametrize("code", ["2024-Q5", "2024-13", "2024-05-02", "1999", "2101", "", "H1"])
def test_anything_but_a_fixed_period_is_refused_with_the_accepted_codes(code: str) -> None:
    with pytest.raises(InvalidValueError, match="2022-Q3"):
        parse_period(code)


def test_a_span_names_a_fixed_period_only_when_it_is_exactly_one() -> None:
    assert period_of(date(2024, 4, 1), date(2024, 6, 30)).code == "2024-Q2"
    with pytest.raises(InvalidValueError):
        period_of(date(2024, 4, 2), date(2024, 6, 30))
    with pytest.raises(InvalidValueError):
        period_of(date(9999, 12, 1), date(9999, 12, 31))
