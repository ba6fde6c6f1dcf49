"""The ESF rules that are the domain's own: operations never overlap, statuses hold together, dates follow."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from domain.errors import DateOrderError, InvalidValueError, UnknownOperationError
from domain.esf import EsfSubmission, LeavingStatus, follow_up_due, months_after
from domain.tenants import Tenant
from infra.settings import DEFAULT_TENANTS_FILE
from infra.tenant_registry import load_registry


def sofades() -> Tenant:
    return load_registry(DEFAULT_TENANTS_FILE).tenant("sofades")


def test_an_operation_is_found_by_its_mis_code_or_its_programme_period_and_nothing_else() -> None:
    tenant = sofades()
    assert tenant.operation("5002786").period == "2014-2020"
    assert tenant.operation("2021-2027").period == "2021-2027"
    with pytest.raises(UnknownOperationError, match="5002873"):
        tenant.operation("5002873")  # Pylaia-Chortiatis's code is not Sofades's


def test_each_day_belongs_to_one_operation_at_most() -> None:
    tenant = sofades()
    assert tenant.operation_on(date(2023, 12, 31)).period == "2014-2020"  # type: ignore[union-attr]
    assert tenant.operation_on(date(2024, 1, 1)).period == "2021-2027"  # type: ignore[union-attr]
    assert tenant.operation_title(tenant.operation("5002786")) == "Κέντρο Κοινότητας Δήμου Σοφάδων"


def test_a_registry_whose_operations_overlap_is_refused() -> None:
    data: dict[str, Any] = sofades().model_dump()
    data["programmes"][1]["operations_from"] = date(2023, 6, 1)  # before the 2014-2020 one ends
    with pytest.raises(ValidationError, match="overlap"):
        Tenant.model_validate(data)


def test_a_registry_with_two_operations_of_one_programme_period_is_refused() -> None:
    data: dict[str, Any] = sofades().model_dump()
    data["programmes"][1]["period"] = "2014-2020"
    with pytest.raises(ValidationError, match="one operation per programme period"):
        Tenant.model_validate(data)


def test_on_leaving_a_participant_is_job_searching_or_employed_not_both() -> None:
    with pytest.raises(ValidationError, match="not both"):
        LeavingStatus(job_searching=True, in_education_or_training=False, qualification_gained=False, employed=True)
    assert LeavingStatus(job_searching=False, in_education_or_training=True, qualification_gained=True, employed=True)


@pytest.mark.parametrize(
    ("left", "due"),
    [
        (date(2024, 1, 15), date(2024, 7, 15)),
        (date(2024, 8, 31), date(2025, 2, 28)),  # February has no 31st: its last day
        (date(2023, 8, 31), date(2024, 2, 29)),  # a leap year's
        (date(2024, 12, 1), date(2025, 6, 1)),
    ],
)
def test_the_follow_up_is_due_six_calendar_months_after_leaving(left: date, due: date) -> None:
    assert follow_up_due(left) == due
    assert months_after(left, 0) == left


def submission(**changes: Any) -> EsfSubmission:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "operation": "2014-2020",
        "period_from": date(2022, 7, 1),
        "period_to": date(2022, 12, 31),
        "figures": {"esf-2014-2020/participants/total": 12},
        "position": 40,
        "submitted_on": date(2023, 1, 15),
        "today": date(2026, 12, 1),
        "recorded_by": "coordinator",
    }
    return EsfSubmission.submit(**{**fields, **changes})


def test_a_submission_keeps_its_figures_period_and_log_position() -> None:
    made = submission()
    assert (made.operation, made.period_from, made.position) == ("2014-2020", date(2022, 7, 1), 40)
    assert made.figures == {"esf-2014-2020/participants/total": 12}
    assert made.occurred_on == date(2023, 1, 15)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"submitted_on": date(2027, 1, 1)}, InvalidValueError),  # in the future
        ({"submitted_on": date(2022, 12, 30)}, DateOrderError),  # before the period is over
        ({"period_to": date(2022, 6, 30)}, DateOrderError),  # ends before it starts
        ({"figures": {}}, InvalidValueError),
    ],
)
def test_a_submission_that_does_not_hold_together_is_refused(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        submission(**changes)
