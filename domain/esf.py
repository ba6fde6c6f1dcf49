"""ESF participation per operation: a participant's status on leaving, six months later, and what a
centre delivered to its managing authority (issue 21; definitions in docs/indicators.md).

A person enters an operation (a centre's funding under one programme period, domain/tenants.py) at
their first contact in it: the intake, or for a person registered under an earlier operation, an
``Beneficiary.OperationEntered`` event with the data of that day. Leaving is ``OperationLeft`` with
the ``LeavingStatus``; the follow-up six months later is ``LongTermResultRecorded`` with the
``LongTermStatus``. These are the records behind the result indicators (CR01-CR09, EECR01-EECR05).

``EsfSubmission`` is a report as delivered: its figures, the period and the log position they were
computed at, so that later corrections and late entries show as a restatement, never as a rewrite.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEvent, event
from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.entries import ensure_not_future
from domain.errors import DateOrderError, InvalidValueError

OperationKey = Literal["2014-2020", "2021-2027"]  # the programme period: one operation per tenant and period
FOLLOW_UP_MONTHS = 6
# The profile's fields that describe a person's situation (they change, by SituationChanged, from a
# date); gender and the age at entry are not situation.
SITUATION_FIELDS = (
    "employment_status",
    "isced_level",
    "household_situation",
    "residence_area",
    "foreign_background",
    "third_country_national",
    "homeless_or_housing_exclusion",
)


class _Status(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LeavingStatus(_Status):
    """What a participant is doing on leaving the operation (within four weeks of leaving).

    Job searching and employment exclude each other (the Commission's SFC2021 guidance on EECR01 and
    EECR04: only the last of the two in the reference period is recorded)."""

    job_searching: bool = Field(description="Engaged in job searching (registered with ΔΥΠΑ, actively looking)")
    in_education_or_training: bool = Field(description="In education or training")
    qualification_gained: bool = Field(description="Gained a qualification")
    employed: bool = Field(description="In employment, including self-employment")

    @model_validator(mode="after")
    def _searching_or_employed(self) -> LeavingStatus:
        if self.job_searching and self.employed:
            raise ValueError("on leaving a participant is either job searching or employed, not both: record the later")
        return self


class LongTermStatus(_Status):
    """A participant's situation six months after leaving."""

    employed: bool = Field(description="In employment, including self-employment")
    improved_labour_market_situation: bool = Field(
        description="Improved situation: from precarious to stable work, under-employed to full, or a job "
        "needing higher skills (for those employed at entry)"
    )


def months_after(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (the month's last day where it has fewer)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_due(left_on: date) -> date:
    """When the six-month follow-up of a participant who left on ``left_on`` is due."""
    return months_after(left_on, FOLLOW_UP_MONTHS)


class EsfSubmission(Aggregate):
    """A delivery to the managing authority: one operation, one period, its figures as computed.

    ``figures`` are the indicator cells (``projections.cells.flatten_esf`` names) and ``position`` the
    tenant's log position they were computed at; ``submitted_on`` is the day it was delivered, which
    may be earlier than the day it was recorded here (a past delivery entered later says so: the
    event's own timestamp is when it was recorded).
    """

    if TYPE_CHECKING:
        Submitted: ClassVar[type[DomainEvent]]

    @event("Submitted")
    def __init__(
        self,
        *,
        id: UUID,
        operation: str,
        period_from: date,
        period_to: date,
        figures: dict[str, int],
        position: int,
        occurred_on: date,
        recorded_by: str,
        reference: str | None,
    ) -> None:
        self.operation = operation
        self.period_from = period_from
        self.period_to = period_to
        self.figures = figures
        self.position = position
        self.occurred_on = occurred_on
        self.recorded_by = recorded_by
        self.reference = reference

    @classmethod
    def submit(
        cls,
        *,
        id: UUID,
        operation: str,
        period_from: date,
        period_to: date,
        figures: dict[str, int],
        position: int,
        submitted_on: date,
        today: date,
        recorded_by: str,
        reference: str | None = None,
    ) -> EsfSubmission:
        """A delivery, refused with a period the wrong way round, one not yet over on the day it is
        said to be delivered, a delivery dated in the future, or no figures."""
        ensure_not_future(submitted_on, today, "submitted_on")
        if period_to < period_from:
            raise DateOrderError("the period ends before it starts", field="to")
        if submitted_on < period_to:
            raise DateOrderError("a period is delivered once it is over", field="submitted_on")
        if not figures:
            raise InvalidValueError("a delivery has figures", field="figures")
        if position < 0:
            raise InvalidValueError("a log position is not negative", field="position")
        return cls(
            id=id,
            operation=operation,
            period_from=period_from,
            period_to=period_to,
            figures=dict(figures),
            position=position,
            occurred_on=submitted_on,
            recorded_by=recorded_by,
            reference=reference,
        )
