"""How long ESF records must be kept, and so the earliest day a beneficiary's personal data may be erased.

- 2021-2027 (Reg. 2021/1060 Art. 82): five years from 31 December of the year of the last payment
  to the operation. Kept until 31 December of that year + 5; erasable from the next day.
- 2014-2020 (Reg. 1303/2013 Art. 140): two or three years, as the managing authority sets, from
  31 December following the submission of the accounts that include the expenditure. Kept until
  31 December of (the year the accounts were submitted + those years); erasable from the next day.

A beneficiary's data follow every programme that funded a service to them: the latest end wins.
While a funding programme's end is not yet known (its last payment or its accounts lie ahead),
there is no erasure date, and only a documented legal ground can erase before it. A legal hold
keeps the data at least until the day after it ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol


class FundingProgramme(Protocol):
    @property
    def period(self) -> str: ...
    @property
    def operations_from(self) -> date | None: ...
    @property
    def operations_to(self) -> date | None: ...
    @property
    def accounts_year(self) -> int | None: ...
    @property
    def retention_years(self) -> int: ...
    @property
    def last_payment_year(self) -> int | None: ...


def retained_until(programme: FundingProgramme) -> date | None:
    """The last day the programme's records must be kept, or None while it cannot be known."""
    if programme.period == "2021-2027":
        return None if programme.last_payment_year is None else date(programme.last_payment_year + 5, 12, 31)
    return (
        None if programme.accounts_year is None else date(programme.accounts_year + programme.retention_years, 12, 31)
    )


def funds(programme: FundingProgramme, day: date) -> bool:
    starts, ends = programme.operations_from, programme.operations_to
    return (starts is None or starts <= day) and (ends is None or day <= ends)


@dataclass(frozen=True)
class ErasureDate:
    """The earliest day of erasure (None: not yet known) and why."""

    earliest: date | None
    programmes: tuple[str, ...]
    why: str

    def allows(self, today: date) -> bool:
        return self.earliest is not None and today >= self.earliest


def earliest_erasure(
    served_on: Iterable[date], programmes: Iterable[FundingProgramme], holds_until: Iterable[date] = ()
) -> ErasureDate:
    """From the days a person was served, the tenant's programmes, and any legal holds on them."""
    days = sorted(set(served_on))
    if not days:
        return ErasureDate(None, (), "no service is recorded for this person")
    programmes = list(programmes)
    funding: dict[str, FundingProgramme] = {}
    for day in days:
        covering = [p for p in programmes if funds(p, day)]
        if not covering:
            return ErasureDate(None, (), f"no programme of the tenant funded the service of {day.isoformat()}")
        funding.update({p.period: p for p in covering})
    ends = {period: retained_until(p) for period, p in funding.items()}
    periods = tuple(sorted(funding))
    unknown = [period for period, end in ends.items() if end is None]
    if unknown:
        return ErasureDate(None, periods, f"the retention of {', '.join(sorted(unknown))} is not yet known")
    latest = max(end for end in ends.values() if end is not None)
    why = f"records of {', '.join(periods)} are kept until {latest.isoformat()}"
    holds = sorted(holds_until)
    if holds and holds[-1] >= latest:
        latest = holds[-1]
        why += f"; a legal hold runs until {latest.isoformat()}"
    return ErasureDate(latest + timedelta(days=1), periods, why)
