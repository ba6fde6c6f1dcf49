"""Reporting use cases of one tenant: programme and ESF indicators, the caseload and the views' lag.

Every answer first lets the views catch up with the log, so a figure read after a write includes it.
Who sees which structure's figures is decided by ``services.access`` alone. Indicators are answered by
log position (``services.answers``): the same question at the same position is computed once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.errors import InvalidValueError, OutsideOperationError
from domain.tenants import Programme, Tenant
from projections import household_queries, queries
from projections.runner import CaseworkViews
from services.access import Principal, structure_scope
from services.answers import ANSWERS, Answers

MAX_DAYS = 366 * 12


def checked_period(start: date, end: date) -> None:
    """A period runs forwards and spans at most twelve years."""
    if end < start:
        raise InvalidValueError("'to' is before 'from'", field="to")
    if (end - start).days > MAX_DAYS:
        raise InvalidValueError("a period is at most twelve years", field="to")


def _span_text(first: date | None, last: date | None) -> str:
    """An operation's dates as known: the registry may give neither end, or one."""
    if first and last:
        return f"runs from {first.isoformat()} to {last.isoformat()}"
    if last:
        return f"runs until {last.isoformat()}"
    return f"runs from {first.isoformat()} on" if first else "has no dates in the registry"


def checked_operation(tenant: Tenant, key: str, start: date, end: date) -> Programme:
    """The operation named by MIS/ΟΠΣ code or period, for a period wholly inside it.

    Raises UnknownOperationError for a key the tenant has not, InvalidValueError for a period that
    runs backwards or is too long, OutsideOperationError (naming the operation's dates) for one that
    is not wholly inside the operation.
    """
    programme = tenant.operation(key)
    checked_period(start, end)
    first, last = tenant.operation_span(programme)
    if (first is not None and start < first) or (last is not None and end > last):
        name = programme.code or programme.period
        raise OutsideOperationError(
            f"the period {start.isoformat()} to {end.isoformat()} is not wholly inside operation {name} "
            f"({programme.period}), which {_span_text(first, last)}"
        )
    return programme


def scope(tenant: Tenant, user: Principal | None, structure: str | None) -> str | None:
    """A caseworker sees her own structure's figures; others the tenant's, or one structure's."""
    if structure is not None:
        tenant.structure(structure)  # an unknown structure is refused, not answered with zeros
    own = None if user is None else structure_scope(user)
    return own if own is not None else structure


def fresh(views: CaseworkViews) -> CaseworkViews:
    """The views, caught up with everything recorded so far."""
    views.catch_up()
    return views


def indicators(
    views: CaseworkViews,
    start: date,
    end: date,
    structure: str | None,
    *,
    bounded: bool = True,
    answers: Answers = ANSWERS,
) -> dict[str, Any]:
    """The programme indicators for a period (``structure`` already scoped by ``scope``), computed once
    per position of the views and kept in ``answers`` (each caller gets a copy of its own)."""
    if bounded:  # an operator's `kentra report` may ask for any span; the API and pages at most twelve years
        checked_period(start, end)

    def computed() -> dict[str, Any]:
        return views.read_at_once(household_queries.indicators_with_households, start, end, structure)

    return answers.answer(views, ("indicators", start, end, structure), computed)


def latest_entry_on(views: CaseworkViews, until: date, structure: str | None) -> date | None:
    """The day of the latest entry in scope up to ``until`` (``structure`` already scoped by ``scope``)."""
    found: date | None = fresh(views).read(queries.latest_entry_on, until, structure)
    return found


def esf_indicators(
    views: CaseworkViews,
    tenant: Tenant,
    programme: str,
    start: date,
    end: date,
    *,
    structure: str | None,
    answers: Answers = ANSWERS,
) -> dict[str, Any]:
    """The ESF participant indicators (CO or EECO codes) by gender for a period wholly inside the
    programme's operation (OutsideOperationError, naming its dates, otherwise), by log position as
    ``indicators``."""
    checked_operation(tenant, programme, start, end)
    question = ("esf_indicators", programme, start, end, structure)
    return answers.answer(views, question, lambda: views.read(queries.esf_indicators, programme, start, end, structure))


def caseload(views: CaseworkViews, today: date, structure: str | None) -> list[dict[str, Any]]:
    """Open work per structure and caseworker, as of ``today``."""
    return fresh(views).read(queries.caseload, today, structure)


def lag(views: CaseworkViews) -> dict[str, Any]:
    """How far the views are behind the log (events and seconds); they are not caught up first."""
    return views.lag()
