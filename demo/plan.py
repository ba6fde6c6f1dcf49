"""How much history to generate for a tenant, derived from the figures it published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.tenants import Tenant

DEFAULT_WINDOW = (date(2021, 1, 1), date(2022, 12, 31))
REQUESTS_PER_PERSON_MONTH = 1.45
DEFAULT_MONTHLY_UNIQUES = 60
MONTH_SHAPE = (1.05, 1.0, 1.05, 1.0, 1.0, 0.95, 1.1, 0.8, 0.95, 1.0, 1.05, 1.05)


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass
class Plan:
    """How much to generate for a tenant, derived from what it published."""

    start: date
    end: date
    monthly_uniques: dict[date, tuple[int, int]]  # month -> (female, male)
    roma_share: float
    new_per_month: float
    referrals_per_month: float
    networking_per_month: float


def plan_for(tenant: Tenant, today: date) -> Plan:
    """The tenant's plan: its published months exactly, the rest shaped like a year of theirs."""
    start, end = DEFAULT_WINDOW
    if tenant.opened_on is not None and tenant.opened_on > start:
        start = tenant.opened_on
        end = date(start.year + 1, start.month, 1) - timedelta(days=1)
    end = min(end, today)
    reported = tenant.reported
    exact = {
        date.fromisoformat(f.period + "-01"): (f.female or 0, f.male or 0)
        for f in reported
        if f.metric == "beneficiaries_per_month" and len(f.period) == 7
    }
    yearly_requests = sum(f.value for f in reported if f.metric == "requests_per_year")
    female = sum(f.female or 0 for f in reported if f.female is not None)
    male = sum(f.male or 0 for f in reported if f.male is not None)
    female_share = female / (female + male) if female + male else 0.5
    if exact:
        base = sum(f + m for f, m in exact.values()) / len(exact)
    elif yearly_requests:
        base = yearly_requests / 12 / REQUESTS_PER_PERSON_MONTH
    else:
        base = DEFAULT_MONTHLY_UNIQUES
    monthly: dict[date, tuple[int, int]] = {}
    month = month_start(start)
    while month <= end:
        if month in exact:
            monthly[month] = exact[month]
        else:
            total = round(base * MONTH_SHAPE[month.month - 1])
            females = round(total * female_share)
            monthly[month] = (females, total - females)
        month = next_month(month)
    by_structure = {f.structure: f.value for f in reported if f.metric == "requests_per_year" and f.structure}
    has_roma = any(s.kind == "roma-branch" for s in tenant.structures)
    roma_share = (
        by_structure.get("roma-branch", 0) / yearly_requests
        if yearly_requests and by_structure
        else 0.25
        if has_roma
        else 0.0
    )
    new_year = next((f.value for f in reported if f.metric == "new_beneficiaries_per_year"), None)
    referrals = sum(f.value for f in reported if f.metric == "referrals_per_year")
    networking = next((f.value for f in reported if f.metric == "networking_meetings_per_year"), 12)
    return Plan(
        start=start,
        end=end,
        monthly_uniques=monthly,
        roma_share=roma_share,
        new_per_month=(new_year / 12) if new_year else base * 0.22,
        referrals_per_month=(referrals / 12) if referrals else base * 0.02,
        networking_per_month=networking / 12,
    )
