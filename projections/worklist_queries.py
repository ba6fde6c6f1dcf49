"""The worklists' questions (issue 20, "Οι εργασίες μου"), answered from the case index.

Four lists: a worker's open cases (one row per person, with the count of open items and the oldest's
date), follow-ups due and overdue, referrals awaiting an answer, and requests pending at another
agency; and (issue 21) the ESF six-month follow-ups due after leaving an operation. Rows carry codes,
dates and ids only; the pages open the person through the use case.

Never work: a voided entry, and any entry about a voided or erased person (an erased person's entries
stay for the figures). The responsible worker of a person is the last assignment
(``view_responsibility``) or, without one, who recorded the intake, in the intake's structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, and_, func, literal, or_, select, union_all
from sqlalchemy.sql import Select

from domain.catalogue import AgencyApplicationStatus
from projections.tables import case_index, operation_exits, people, responsibility

LISTS = ("cases", "follow_ups", "referrals", "agency", "esf_follow_ups")
# The agency has not decided yet (domain.catalogue.AgencyApplicationStatus less approved and rejected).
PENDING_AT_AGENCY = tuple(
    s.value
    for s in AgencyApplicationStatus
    if s not in (AgencyApplicationStatus.APPROVED, AgencyApplicationStatus.REJECTED)
)
OPEN_REQUEST = ("opened", "in_progress")

intake = case_index.alias("intake")  # the person's own row: who recorded the intake, in which structure
responsible_worker = func.coalesce(responsibility.c.worker, intake.c.recorded_by)
responsible_structure = func.coalesce(responsibility.c.structure, intake.c.structure)
SOURCE = (
    case_index.join(intake, intake.c.entry_id == case_index.c.beneficiary_id)
    .join(people, people.c.beneficiary_id == case_index.c.beneficiary_id)
    .outerjoin(responsibility, responsibility.c.beneficiary_id == case_index.c.beneficiary_id)
)
LIVE: list[ColumnElement[bool]] = [
    case_index.c.voided.is_(False),
    intake.c.voided.is_(False),
    people.c.voided.is_(False),
    people.c.erased.is_(False),
]
# An open item of a case: a request open or in progress, a referral awaiting its answer or outcome,
# a visit's follow-up not done.
OPEN_ITEM = or_(
    and_(case_index.c.kind == "request", case_index.c.status.in_(OPEN_REQUEST)),
    and_(case_index.c.kind == "referral", case_index.c.status.in_(("sent", "accepted"))),
    and_(case_index.c.kind == "home_visit", case_index.c.status == "follow_up_due"),
)


@dataclass(frozen=True)
class WorkFilter:
    """What a list asks for (already confined by the use case: ``structure`` is the caller's scope)."""

    today: date
    days: int  # N: the list's threshold in days
    structure: str | None = None
    subtype: str | None = None  # category, destination or purpose
    kind: str | None = None  # cases: only items of this kind (request, referral, home_visit)
    status: str | None = None
    worker: str | None = None  # the person's responsible worker
    owning_structure: str | None = None  # the structure responsible for the person
    recorded_by: str | None = None  # who recorded the entry (the caseload's split)
    min_age: int | None = None  # the item's age in days, at least
    max_age: int | None = None
    sort: str = "age"  # age, date, category (cases: age, count)
    descending: bool = True
    limit: int = 50
    offset: int = 0


def _since(name: str) -> Column[Any]:
    """The day an item's age counts from, per list."""
    return {
        "follow_ups": case_index.c.follow_up_due,
        "referrals": case_index.c.occurred_on,
        "agency": case_index.c.agency_status_on,
    }[name]


def _where(name: str, f: WorkFilter) -> list[ColumnElement[bool]]:
    where = list(LIVE)
    if name == "follow_ups":
        where += [
            case_index.c.kind == "home_visit",
            case_index.c.status == "follow_up_due",
            case_index.c.follow_up_due <= f.today + timedelta(days=f.days),
        ]
    elif name == "referrals":
        where += [
            case_index.c.kind == "referral",
            case_index.c.status == "sent",
            case_index.c.occurred_on <= f.today - timedelta(days=f.days),
        ]
    elif name == "agency":
        where += [
            case_index.c.kind == "request",
            case_index.c.status.in_(OPEN_REQUEST),
            case_index.c.agency_status.in_(PENDING_AT_AGENCY),
            case_index.c.agency_status_on <= f.today - timedelta(days=f.days),
        ]
    else:
        where.append(OPEN_ITEM)
        if f.kind is not None:
            where.append(case_index.c.kind == f.kind)
    if f.structure is not None:
        where.append(case_index.c.structure == f.structure)
    if f.subtype is not None:
        where.append(case_index.c.subtype == f.subtype)
    if f.status is not None:
        where.append((case_index.c.agency_status if name == "agency" else case_index.c.status) == f.status)
    if f.worker is not None:
        where.append(responsible_worker == f.worker)
    if f.owning_structure is not None:
        where.append(responsible_structure == f.owning_structure)
    if f.recorded_by is not None:
        where.append(case_index.c.recorded_by == f.recorded_by)
    if name != "cases":
        where += _ages(_since(name), f)
    return where


def _ages(since: Column[Any], f: WorkFilter) -> list[ColumnElement[bool]]:
    where = []
    if f.min_age is not None:
        where.append(since <= f.today - timedelta(days=f.min_age))
    if f.max_age is not None:
        where.append(since >= f.today - timedelta(days=f.max_age))
    return where


def entries(conn: Connection, name: str, f: WorkFilter) -> tuple[list[dict[str, Any]], int]:
    """A page of one item list (follow_ups, referrals, agency) and how many match in all."""
    where = _where(name, f)
    since = _since(name)
    total = conn.execute(select(func.count()).select_from(SOURCE).where(*where)).scalar_one()
    order = {"age": since, "date": case_index.c.occurred_on, "category": case_index.c.subtype}[f.sort]
    # Oldest first is the longest wait: "age descending" is the earliest day first.
    ordered = order.desc() if (f.sort == "age") != f.descending else order.asc()
    rows = conn.execute(
        select(
            case_index.c.entry_id,
            case_index.c.kind,
            case_index.c.subtype,
            case_index.c.status,
            case_index.c.structure,
            case_index.c.beneficiary_id,
            case_index.c.occurred_on,
            case_index.c.follow_up_due,
            case_index.c.order_deadline,
            case_index.c.agency,
            case_index.c.agency_status,
            case_index.c.agency_status_on,
            case_index.c.recorded_by,
            responsible_worker.label("worker"),
            responsible_structure.label("owning_structure"),
            since.label("since"),
        )
        .select_from(SOURCE)
        .where(*where)
        .order_by(ordered, case_index.c.entry_id)
        .limit(f.limit)
        .offset(f.offset)
    ).mappings()
    return [{**row, "age_days": (f.today - row["since"]).days} for row in rows], int(total)


def _cases(f: WorkFilter) -> Select[Any]:
    oldest = func.min(case_index.c.occurred_on)
    query = (
        select(
            case_index.c.beneficiary_id,
            responsible_worker.label("worker"),
            responsible_structure.label("owning_structure"),
            func.count().label("open_items"),
            oldest.label("oldest"),
            func.max(case_index.c.occurred_on).label("latest"),
        )
        .select_from(SOURCE)
        .where(*_where("cases", f))
        .group_by(case_index.c.beneficiary_id, responsible_worker, responsible_structure)
    )
    if f.min_age is not None:
        query = query.having(oldest <= f.today - timedelta(days=f.min_age))
    if f.max_age is not None:
        query = query.having(oldest >= f.today - timedelta(days=f.max_age))
    return query


def _given_lately(f: WorkFilter) -> Select[Any]:
    """The people given to the worker in the last ``f.days`` days, open items or not: a case just
    received is hers before anything is recorded for it in her structure (its open items may be the
    other structure's, which she does not see)."""
    where: list[ColumnElement[bool]] = [
        people.c.voided.is_(False),
        people.c.erased.is_(False),
        responsibility.c.since >= f.today - timedelta(days=f.days),
    ]
    if f.worker is not None:
        where.append(responsibility.c.worker == f.worker)
    if f.owning_structure is not None:
        where.append(responsibility.c.structure == f.owning_structure)
    if f.structure is not None:
        where.append(responsibility.c.structure == f.structure)
    return (
        select(
            responsibility.c.beneficiary_id,
            responsibility.c.worker.label("worker"),
            responsibility.c.structure.label("owning_structure"),
            literal(0).label("open_items"),
            responsibility.c.since.label("oldest"),
            responsibility.c.since.label("latest"),
        )
        .select_from(responsibility.join(people, people.c.beneficiary_id == responsibility.c.beneficiary_id))
        .where(*where)
    )


def _my_cases(f: WorkFilter) -> Select[Any]:
    """People with open items, and (unless the list is narrowed to some items) the people given to the
    worker lately; one row per person."""
    if f.kind or f.subtype or f.status or f.recorded_by or f.min_age is not None or f.max_age is not None:
        return _cases(f)
    both = union_all(_cases(f), _given_lately(f)).subquery()
    return select(
        both.c.beneficiary_id,
        func.max(both.c.worker).label("worker"),
        func.max(both.c.owning_structure).label("owning_structure"),
        func.sum(both.c.open_items).label("open_items"),
        func.min(both.c.oldest).label("oldest"),
        func.max(both.c.latest).label("latest"),
    ).group_by(both.c.beneficiary_id)


def cases(conn: Connection, f: WorkFilter) -> tuple[list[dict[str, Any]], int]:
    """A page of people with open items (count and oldest item's day), and of people given to the worker
    in the last ``f.days`` days, and how many such people."""
    grouped = _my_cases(f).subquery()
    total = conn.execute(select(func.count()).select_from(grouped)).scalar_one()
    column = {"age": grouped.c.oldest, "count": grouped.c.open_items, "date": grouped.c.latest}.get(
        f.sort, grouped.c.oldest
    )
    # The oldest item first is the longest open: "age descending" is the earliest day first.
    key = column.asc() if (f.sort == "age") == f.descending else column.desc()
    rows = conn.execute(
        select(grouped).order_by(key, grouped.c.beneficiary_id).limit(f.limit).offset(f.offset)
    ).mappings()
    return [{**row, "age_days": (f.today - row["oldest"]).days} for row in rows], int(total)


def due_today(conn: Connection, f: WorkFilter) -> int:
    """How many follow-ups are due by ``f.today`` (overdue ones too), home visits' and the ESF six-month
    ones: the header's count."""
    visits = select(func.count(literal(1))).select_from(SOURCE).where(*_where("follow_ups", f)).scalar_subquery()
    esf = select(func.count(literal(1))).select_from(ESF_SOURCE).where(*_esf_where(f)).scalar_subquery()
    return int(conn.execute(select(visits + esf)).scalar_one())


# ---------------------------------------------------------------- the ESF six-month follow-ups (issue 21)
# People who left an operation six months ago or more and were not followed up yet: one row per person
# and operation (``view_operation_exits``), never for a voided or erased person.
esf_intake = case_index.alias("esf_intake")
esf_worker = func.coalesce(responsibility.c.worker, esf_intake.c.recorded_by)
esf_owner = func.coalesce(responsibility.c.structure, esf_intake.c.structure)
ESF_SOURCE = (
    operation_exits.join(esf_intake, esf_intake.c.entry_id == operation_exits.c.beneficiary_id)
    .join(people, people.c.beneficiary_id == operation_exits.c.beneficiary_id)
    .outerjoin(responsibility, responsibility.c.beneficiary_id == operation_exits.c.beneficiary_id)
)


def _esf_where(f: WorkFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        operation_exits.c.followed_up_on.is_(None),
        operation_exits.c.follow_up_due <= f.today + timedelta(days=f.days),
        esf_intake.c.voided.is_(False),
        people.c.voided.is_(False),
        people.c.erased.is_(False),
    ]
    if f.structure is not None:
        where.append(operation_exits.c.structure == f.structure)
    if f.subtype is not None:
        where.append(operation_exits.c.operation == f.subtype)
    if f.worker is not None:
        where.append(esf_worker == f.worker)
    if f.owning_structure is not None:
        where.append(esf_owner == f.owning_structure)
    return where + _ages(operation_exits.c.follow_up_due, f)


def esf_follow_ups(conn: Connection, f: WorkFilter) -> tuple[list[dict[str, Any]], int]:
    """A page of the six-month follow-ups due (and overdue), and how many in all."""
    where = _esf_where(f)
    total = conn.execute(select(func.count()).select_from(ESF_SOURCE).where(*where)).scalar_one()
    order = {"age": operation_exits.c.follow_up_due, "date": operation_exits.c.left_on}.get(
        f.sort, operation_exits.c.follow_up_due
    )
    ordered = order.desc() if (f.sort == "age") != f.descending else order.asc()
    rows = conn.execute(
        select(
            operation_exits.c.beneficiary_id,
            operation_exits.c.operation,
            operation_exits.c.structure,
            operation_exits.c.left_on,
            operation_exits.c.follow_up_due,
            esf_worker.label("worker"),
            esf_owner.label("owning_structure"),
            operation_exits.c.follow_up_due.label("since"),
        )
        .select_from(ESF_SOURCE)
        .where(*where)
        .order_by(ordered, operation_exits.c.beneficiary_id, operation_exits.c.operation)
        .limit(f.limit)
        .offset(f.offset)
    ).mappings()
    return [{**row, "age_days": (f.today - row["since"]).days} for row in rows], int(total)
