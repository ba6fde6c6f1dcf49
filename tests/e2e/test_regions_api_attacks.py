"""An analyst's odd requests to the regional API: clear problems for bad input, never a server error."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api


@pytest.mark.parametrize(
    "span",
    [
        {"from": "9999-12-01", "to": "9999-12-31"},  # the last month the dates can hold: its year cannot be built
        {"from": "0001-01-01", "to": "0001-12-31"},  # a year that period= refuses (2000 to 2100 only)
    ],
)
def test_a_span_of_a_year_outside_the_reporting_years_is_refused_as_bad_input(api: Api, span: dict[str, str]) -> None:
    response = api.client.get(
        "/api/v1/regions/thessaly/indicators", params=span, headers=api.headers("analyst.thessaly")
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
