"""Fixed reporting periods: the only periods a Region reads (docs/regions.md says why).

A period is a calendar year (``2022``), a half-year (``2022-H1``), a quarter (``2022-Q3``) or a
month (``2022-07``). Within a year they nest: months into quarters, quarters into halves, halves
into the year. No other span is offered, so two answers overlap only where one nests in the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from domain.errors import InvalidValueError

_CODE = re.compile(r"^(?P<year>\d{4})(?:-(?:H(?P<half>[12])|Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")
EXAMPLES = "2022, 2022-H1, 2022-Q3, 2022-07"
FIRST_YEAR, LAST_YEAR = 2000, 2100
_MONTHS_EL = (
    "Ιανουάριος", "Φεβρουάριος", "Μάρτιος", "Απρίλιος", "Μάιος", "Ιούνιος",
    "Ιούλιος", "Αύγουστος", "Σεπτέμβριος", "Οκτώβριος", "Νοέμβριος", "Δεκέμβριος",
)  # fmt: skip
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    code: str

    @property
    def year(self) -> int:
        return self.start.year

    def label(self, lang: str = "el") -> str:
        """How staff read it: «3ο τρίμηνο 2022», «Ιούλιος 2022»; in English "Q3 2022", "July 2022"."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        n = (self.start.month - 1) // months + 1
        if months == 12:
            return str(self.year)
        if lang != "el":
            named = {6: f"H{n}", 3: f"Q{n}", 1: _MONTHS_EN[self.start.month - 1]}[months]
            return f"{named} {self.year}"
        named = {6: f"{n}ο εξάμηνο", 3: f"{n}ο τρίμηνο", 1: _MONTHS_EL[self.start.month - 1]}[months]
        return f"{named} {self.year}"

    def children(self) -> tuple[Period, ...]:
        """The periods this one is the sum of: a year's halves, a half's quarters, a quarter's months."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        step = {12: 6, 6: 3, 3: 1}.get(months)
        if step is None:
            return ()
        return tuple(_span(self.year, self.start.month + i, step) for i in range(0, months, step))


def _last_day(year: int, month: int) -> date:
    return (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _span(year: int, first_month: int, months: int) -> Period:
    end = _last_day(year, first_month + months - 1)
    start = date(year, first_month, 1)
    code = {
        12: f"{year}",
        6: f"{year}-H{(first_month - 1) // 6 + 1}",
        3: f"{year}-Q{(first_month - 1) // 3 + 1}",
        1: f"{year}-{first_month:02d}",
    }[months]
    return Period(start, end, code)


def parse_period(code: str) -> Period:
    """A period from its code; anything else is refused with the codes that are accepted."""
    found = _CODE.match(code.strip())
    if not found or not FIRST_YEAR <= int(found["year"]) <= LAST_YEAR:
        raise InvalidValueError(
            f"a reporting period is a year, half-year, quarter or month, e.g. {EXAMPLES}", field="period"
        )
    year = int(found["year"])
    if found["half"]:
        return _span(year, (int(found["half"]) - 1) * 6 + 1, 6)
    if found["quarter"]:
        return _span(year, (int(found["quarter"]) - 1) * 3 + 1, 3)
    if found["month"]:
        return _span(year, int(found["month"]), 1)
    return _span(year, 1, 12)


def period_of(start: date, end: date) -> Period:
    """The fixed period that spans exactly ``start`` to ``end``; any other span is refused."""
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise InvalidValueError(f"a reporting period lies in the years {FIRST_YEAR} to {LAST_YEAR}", field="period")
    for candidate in year_periods(start.year):
        if (candidate.start, candidate.end) == (start, end):
            return candidate
    raise InvalidValueError(
        f"regions read fixed reporting periods only (a year, half-year, quarter or month, e.g. {EXAMPLES}); "
        f"{start.isoformat()} to {end.isoformat()} is not one",
        field="period",
    )


def year_periods(year: int) -> list[Period]:
    """Every fixed period of a year: the year, its 2 halves, 4 quarters and 12 months (19 in all)."""
    found: list[Period] = []
    todo = [_span(year, 1, 12)]
    while todo:
        period = todo.pop()
        found.append(period)
        todo.extend(period.children())
    return sorted(found, key=lambda p: (p.start, -(p.end - p.start).days))
