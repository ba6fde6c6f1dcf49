"""The worklists use case ("Οι εργασίες μου"): open cases, follow-ups due, referrals awaiting an answer,
requests pending at another agency, the ESF six-month follow-ups due after leaving an operation; each
filtered, sorted and paged, for a caseworker or a coordinator.

Who sees what is asked of ``services.access``: a caseworker's lists hold her own structure's entries
whatever she asks (asking for another structure is refused), and, when they are a worker's, only the
people her structure is responsible for; so no row, count or worker's name tells her of the other
structure. People's names are opened through ``services.people`` and each look is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from domain.errors import EntryNotFoundError, InvalidValueError
from domain.tenants import Tenant
from projections import worklist_queries as q
from projections.runner import CaseworkViews
from services import people
from services.access import (
    AccessDeniedError,
    Principal,
    Role,
    confined_structure,
    may_work_cases,
    sees_structure,
    structure_scope,
)
from services.casework import Casework

LISTS = q.LISTS
# N by list: a follow-up due within a week is on the list; a referral unanswered after 15 days and an
# application at an agency without news after 30 are chased (docs/design.md "Issue 20: worklists").
# The ESF six-month follow-up cannot be recorded before it is due: its list holds those due by today.
DEFAULT_DAYS = {"cases": 30, "follow_ups": 7, "referrals": 15, "agency": 30, "esf_follow_ups": 0}
MAX_DAYS = 3650
SORTS = {
    "cases": ("age", "count", "date"),
    **dict.fromkeys(LISTS[1:4], ("age", "date", "category")),
    "esf_follow_ups": ("age", "date"),  # by due day, by the day they left
}
ALL = "all"  # every worker in the caller's scope
ME = "me"


@dataclass(frozen=True)
class WorkQuery:
    """What a worklist asks for, as the caller typed it (``worker``: a user name, ``me`` or ``all``;
    None: her own for a caseworker, everyone's for a coordinator)."""

    days: int | None = None
    structure: str | None = None
    subtype: str | None = None
    kind: str | None = None  # cases only: request, referral or home_visit
    status: str | None = None
    worker: str | None = None
    recorded_by: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    sort: str = "age"
    descending: bool = True
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class WorkPage:
    """One page of a worklist, how many match in all, and the terms it was answered for."""

    name: str
    rows: list[dict[str, Any]]
    total: int
    days: int
    worker: str | None  # the worker the list is confined to, None for everyone in scope
    structure: str | None
    query: WorkQuery


def _worker(user: Principal, asked: str | None) -> str | None:
    if asked in (None, ""):
        return user.username if user.role == Role.CASEWORKER else None
    if asked == ALL:
        return None
    return user.username if asked == ME else asked


def terms(tenant: Tenant, user: Principal, name: str, query: WorkQuery, today: date) -> q.WorkFilter:
    """The query checked and confined to what the caller may see (refused: another structure, bad input)."""
    may_work_cases(user, tenant.id)
    if name not in LISTS:
        raise InvalidValueError(f"unknown worklist {name!r}", field="list")
    if query.structure is not None:
        tenant.structure(query.structure)  # an unknown structure is refused, never answered with nothing
    structure = confined_structure(user, query.structure)
    days = DEFAULT_DAYS[name] if query.days is None else query.days
    for value, field in ((days, "days"), (query.min_age, "min_age"), (query.max_age, "max_age")):
        if value is not None and not 0 <= value <= MAX_DAYS:
            raise InvalidValueError(f"{field} is between 0 and {MAX_DAYS}", field=field)
    if query.kind not in (None, "request", "referral", "home_visit"):
        raise InvalidValueError("kind is request, referral or home_visit", field="kind")
    if query.sort not in SORTS[name]:
        raise InvalidValueError(f"sort is one of {', '.join(SORTS[name])}", field="sort")
    if not (1 <= query.limit <= 200 and query.offset >= 0):
        raise InvalidValueError("a page holds 1 to 200 rows", field="limit")
    worker = _worker(user, query.worker)
    own = structure_scope(user)
    return q.WorkFilter(
        today=today,
        days=days,
        structure=structure,
        subtype=query.subtype or None,
        kind=query.kind or None,
        status=query.status or None,
        worker=worker,
        # A worker's list for a caseworker: only the people her own structure is responsible for, so a
        # colleague's name or a count never says who the other structure serves.
        owning_structure=own if worker is not None else None,
        recorded_by=query.recorded_by or None,
        min_age=query.min_age,
        max_age=query.max_age,
        sort=query.sort,
        descending=query.descending,
        limit=query.limit,
        offset=query.offset,
    )


def worklist(
    views: CaseworkViews, tenant: Tenant, user: Principal, name: str, query: WorkQuery, *, today: date
) -> WorkPage:
    """One page of one worklist, read after the views caught up with the log (read your own writes)."""
    f = terms(tenant, user, name, query, today)
    views.catch_up()
    if name == "cases":
        rows, total = views.read(q.cases, f)
    elif name == "esf_follow_ups":
        rows, total = views.read(q.esf_follow_ups, f)
    else:
        rows, total = views.read(q.entries, name, f)
    for row in rows:
        # The person's responsible worker, only if the caller may see the structure responsible for them.
        owner = row.pop("owning_structure")
        if not sees_structure(user, owner):
            row["worker"] = None
    return WorkPage(name, rows, total, f.days, f.worker, f.structure, replace(query, days=f.days))


def due_today(views: CaseworkViews, user: Principal, tenant_id: str, today: date) -> int | None:
    """The header's count: follow-ups due today or overdue (home visits' and the ESF six-month ones) in
    the caller's own list (a caseworker's own people, a coordinator's whole tenant); None for whom
    worklists are not. The views catch up first (nothing to read when nothing is new): a follow-up just
    recorded as done must not still be counted on the page the form led back to."""
    try:
        may_work_cases(user, tenant_id)
    except AccessDeniedError:
        return None
    views.catch_up()
    own = structure_scope(user)
    worker = user.username if user.role == Role.CASEWORKER else None
    f = q.WorkFilter(today=today, days=0, structure=own, worker=worker, owning_structure=own)
    return views.read(q.due_today, f)


def names(casework: Casework, user: Principal, rows: list[dict[str, Any]], endpoint: str) -> dict[UUID, str]:
    """The names of the people on a page whom the caller may see, each look recorded in the tenant's log
    (as the person page does); the others are left out without a trace."""
    shown: dict[UUID, str] = {}
    for beneficiary_id in dict.fromkeys(row["beneficiary_id"] for row in rows):
        try:
            person = people.person(casework, user, beneficiary_id)
        except (EntryNotFoundError, AccessDeniedError):
            continue  # a person registered in a structure she may not see: the row shows no name
        shown[beneficiary_id] = " ".join(p for p in (person.get("last_name"), person.get("first_name")) if p)
        casework.record_access(beneficiary_id, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
    return shown
