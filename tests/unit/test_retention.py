"""Retention: the earliest erasure date follows from the programmes that funded a person's services."""

from __future__ import annotations

from datetime import date

from domain.retention import earliest_erasure, retained_until
from domain.tenants import Programme

ROP = Programme(
    period="2014-2020",
    name_el="ΠΕΠ",
    operations_to=date(2023, 12, 31),
    accounts_year=2025,
    retention_years=3,
)
ESPA = Programme(period="2021-2027", name_el="ΕΣΠΑ", operations_from=date(2024, 1, 1))


def test_2014_2020_keeps_records_two_or_three_years_from_the_31_december_after_the_accounts() -> None:
    assert retained_until(ROP) == date(2028, 12, 31)
    assert retained_until(ROP.model_copy(update={"retention_years": 2})) == date(2027, 12, 31)
    assert retained_until(ROP.model_copy(update={"accounts_year": None})) is None


def test_2021_2027_keeps_records_five_years_from_31_december_of_the_last_payment() -> None:
    assert retained_until(ESPA) is None  # still paying
    assert retained_until(ESPA.model_copy(update={"last_payment_year": 2030})) == date(2035, 12, 31)


def test_the_latest_funding_programme_decides_and_an_unknown_end_means_no_date() -> None:
    only_2014 = earliest_erasure([date(2019, 5, 1), date(2022, 3, 3)], [ROP, ESPA])
    assert (only_2014.earliest, only_2014.programmes) == (date(2029, 1, 1), ("2014-2020",))
    assert not only_2014.allows(date(2028, 12, 31))
    assert only_2014.allows(date(2029, 1, 1))
    both = earliest_erasure([date(2019, 5, 1), date(2024, 2, 1)], [ROP, ESPA])
    assert both.earliest is None
    assert "2021-2027 is not yet known" in both.why
    paid = ESPA.model_copy(update={"last_payment_year": 2030})
    assert earliest_erasure([date(2019, 5, 1), date(2024, 2, 1)], [ROP, paid]).earliest == date(2036, 1, 1)


def test_a_legal_hold_keeps_the_data_until_the_day_after_it_ends() -> None:
    held = earliest_erasure([date(2019, 5, 1)], [ROP], holds_until=[date(2030, 6, 30)])
    assert held.earliest == date(2030, 7, 1)
    assert "legal hold" in held.why
    assert earliest_erasure([date(2019, 5, 1)], [ROP], holds_until=[date(2025, 1, 1)]).earliest == date(2029, 1, 1)


def test_a_service_no_programme_funded_gives_no_date() -> None:
    assert (
        earliest_erasure([date(2016, 1, 1)], [ROP.model_copy(update={"operations_from": date(2017, 1, 1)})]).earliest
        is None
    )
    assert earliest_erasure([], [ROP]).earliest is None
