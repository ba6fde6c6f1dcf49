"""The indicators' summaries (issue 24): kept with the rows they summarise, in the same transaction.

A fold does not add or subtract: it marks what a batch touched (``Touched``: the days of created and
changed entries, and every day of a person whose gender, void or profile changed), and at the end of
the batch ``refresh`` recomputes those days from the base tables with set-based SQL, then their
months from the days. ``derive_all`` is the same, unrestricted: the migration, a rebuild and the bench
use it. docs/indicators.md says how ``projections.queries.indicators`` reads them.
"""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from pyroaring import BitMap
from sqlalchemy import Connection, and_, delete, func, insert, literal, or_, select, union_all

from projections.tables import (
    case_index,
    contacts,
    first_served,
    indicator_counts,
    people,
    person_ordinals,
    positions,
    served_sets,
)

ALL = "*"  # the structure of the served sets and first days over every structure
KINDS = ("request", "referral", "activity", "home_visit")  # the entries the indicators count
REQUEST_TOTAL = "request_total"  # one row per (day/month, structure): the requests, no key, no gender
CHUNK = 500  # ids or days per IN list
STALE = "indicator_summaries"  # a positions row: the summaries are to be derived again (a rebuild)


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of the day's month (December 9999's too: no month after it is ever computed)."""
    return day.replace(day=monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    """The first day of the next month; an OverflowError after December 9999 (callers check ``month_end``)."""
    return month_end(day) + timedelta(days=1)


def year_of(day: date) -> date:
    return day.replace(month=1, day=1)


def next_year(day: date) -> date:
    """1 January of the next year; a ValueError after 9999 (callers check the year first)."""
    return date(day.year + 1, 1, 1)


def year_end(day: date) -> date:
    """31 December of the day's year (9999's too)."""
    return date(day.year, 12, 31)


@dataclass
class Touched:
    """What a batch changed that the summaries count: days, entries (their days are read at the end of
    the batch, and a person's entry makes all the person's days touched) and people."""

    days: set[date] = field(default_factory=set)
    entries: set[UUID] = field(default_factory=set)
    people: set[UUID] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.days or self.entries or self.people)


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# --------------------------------------------------------------------------------- what is touched
def before_change(conn: Connection, touched: Touched, entry_id: UUID) -> None:
    """Before an amendment that may move an entry (its day, structure or people): its days and people now."""
    for day, person in conn.execute(
        select(case_index.c.occurred_on, case_index.c.beneficiary_id).where(case_index.c.entry_id == entry_id)
    ):
        touched.days.add(day)
        if person is not None:
            touched.people.add(person)
    for day, person in conn.execute(
        select(contacts.c.day, contacts.c.beneficiary_id).where(contacts.c.entry_id == entry_id)
    ):
        touched.days.add(day)
        touched.people.add(person)
    touched.entries.add(entry_id)


def _widen(conn: Connection, touched: Touched) -> None:
    """The days and people of the touched entries as they are now; for a person's own entry (an
    intake: a void, an amended profile or gender), every day the person counts on."""
    persons: set[UUID] = set()
    for chunk in _chunks(touched.entries):
        for entry, kind, day, person in conn.execute(
            select(
                case_index.c.entry_id, case_index.c.kind, case_index.c.occurred_on, case_index.c.beneficiary_id
            ).where(case_index.c.entry_id.in_(chunk))
        ):
            touched.days.add(day)
            if person is not None:
                touched.people.add(person)
            if kind == "beneficiary":
                persons.add(entry)
        for day, person in conn.execute(
            select(contacts.c.day, contacts.c.beneficiary_id).where(contacts.c.entry_id.in_(chunk))
        ):
            touched.days.add(day)
            touched.people.add(person)
    for chunk in _chunks(persons):
        touched.people.update(chunk)
        touched.days.update(
            day for (day,) in conn.execute(select(contacts.c.day).where(contacts.c.beneficiary_id.in_(chunk)))
        )
        touched.days.update(
            day
            for (day,) in conn.execute(select(case_index.c.occurred_on).where(case_index.c.beneficiary_id.in_(chunk)))
        )


# --------------------------------------------------------------------------------- recomputation
def refresh(conn: Connection, touched: Touched) -> None:
    """Recompute the summaries of what ``touched`` marks, from the base tables (in the caller's transaction)."""
    if not touched or is_stale(conn):
        return
    _widen(conn, touched)
    _ordinals(conn, touched.people)
    _first_served(conn, touched)
    days = sorted(touched.days)
    for chunk in _chunks(days):
        conn.execute(delete(indicator_counts).where(indicator_counts.c.grain == "d", indicator_counts.c.day.in_(chunk)))
        conn.execute(delete(served_sets).where(served_sets.c.grain == "d", served_sets.c.day.in_(chunk)))
        _day_counts(conn, chunk)
    for month in sorted({month_of(d) for d in days}):
        _month(conn, month)
    for year in sorted({year_of(d) for d in days}):
        _year(conn, year)


def derive_all(conn: Connection) -> None:
    """Every summary again from the base tables (a migration, the end of a rebuild, the bench's copies)."""
    for table in (indicator_counts, served_sets, first_served):
        conn.execute(delete(table))
    _ordinals(conn, None)
    _first_served(conn, None)
    _day_counts(conn, None)
    first, last = conn.execute(select(func.min(indicator_counts.c.day), func.max(indicator_counts.c.day))).one()
    served_first, served_last = conn.execute(select(func.min(served_sets.c.day), func.max(served_sets.c.day))).one()
    bounds = [d for d in (first, last, served_first, served_last) if d is not None]
    if not bounds:
        return
    month, end = month_of(min(bounds)), max(bounds)
    while True:
        _month(conn, month)
        if month_end(month) >= end:
            break
        month = next_month(month)
    year = year_of(min(bounds))
    while True:
        _year(conn, year)
        if year.year >= end.year:
            break
        year = next_year(year)


def mark_stale(conn: Connection) -> None:
    """The summaries are to be derived again once the views are (a rebuild folds without them)."""
    conn.execute(delete(positions).where(positions.c.view == STALE))
    conn.execute(insert(positions).values(view=STALE, position=0))


def is_stale(conn: Connection) -> bool:
    return conn.execute(select(positions.c.position).where(positions.c.view == STALE)).first() is not None


def derive_if_stale(conn: Connection) -> bool:
    if not is_stale(conn):
        return False
    derive_all(conn)
    conn.execute(delete(positions).where(positions.c.view == STALE))
    return True


def _ordinals(conn: Connection, persons: set[UUID] | None) -> None:
    """An ordinal for each registered person without one, in order of intake."""
    query = (
        select(people.c.beneficiary_id)
        .outerjoin(person_ordinals, person_ordinals.c.beneficiary_id == people.c.beneficiary_id)
        .where(person_ordinals.c.ordinal.is_(None))
        .order_by(people.c.intake_on, people.c.beneficiary_id)
    )
    if persons is None:
        missing = [row[0] for row in conn.execute(query)]
    else:
        missing = [
            row[0]
            for chunk in _chunks(persons)
            for row in conn.execute(query.where(people.c.beneficiary_id.in_(chunk)))
        ]
    if not missing:
        return
    top = int(conn.execute(select(func.coalesce(func.max(person_ordinals.c.ordinal), 0))).scalar_one())
    conn.execute(
        insert(person_ordinals), [{"beneficiary_id": b, "ordinal": top + 1 + n} for n, b in enumerate(missing)]
    )


def _first_served(conn: Connection, touched: Touched | None) -> None:
    """Each person's first day served, per structure and anywhere; the old and new days are touched."""
    served = contacts.join(people, people.c.beneficiary_id == contacts.c.beneficiary_id)
    live = [contacts.c.voided.is_(False), people.c.voided.is_(False)]
    chunks: Iterable[list[UUID] | None] = [None] if touched is None else _chunks(touched.people)
    for chunk in chunks:
        where = list(live)
        if chunk is not None:
            assert touched is not None
            touched.days.update(
                day
                for (day,) in conn.execute(select(first_served.c.day).where(first_served.c.beneficiary_id.in_(chunk)))
            )
            conn.execute(delete(first_served).where(first_served.c.beneficiary_id.in_(chunk)))
            where.append(contacts.c.beneficiary_id.in_(chunk))
        per_structure = (
            select(contacts.c.beneficiary_id, contacts.c.structure, func.min(contacts.c.day), people.c.gender)
            .select_from(served)
            .where(*where)
            .group_by(contacts.c.beneficiary_id, contacts.c.structure, people.c.gender)
        )
        anywhere = (
            select(contacts.c.beneficiary_id, literal(ALL), func.min(contacts.c.day), people.c.gender)
            .select_from(served)
            .where(*where)
            .group_by(contacts.c.beneficiary_id, people.c.gender)
        )
        conn.execute(
            insert(first_served).from_select(
                ["beneficiary_id", "structure", "day", "gender"], union_all(per_structure, anywhere)
            )
        )
        if touched is not None and chunk is not None:
            touched.days.update(
                day
                for (day,) in conn.execute(select(first_served.c.day).where(first_served.c.beneficiary_id.in_(chunk)))
            )


COUNT_COLUMNS = ["grain", "day", "structure", "kind", "key", "key2", "gender", "n"]


def _day_counts(conn: Connection, days: list[date] | None) -> None:
    """The day rows of ``days`` (all days when None): counts from the base tables, served sets in Python."""
    gender = people.c.gender
    entries = case_index.outerjoin(
        people, and_(people.c.beneficiary_id == case_index.c.beneficiary_id, people.c.voided.is_(False))
    )
    entry_where = [case_index.c.voided.is_(False), case_index.c.kind.in_(KINDS)]
    intake_where = [people.c.voided.is_(False)]
    first_where: list[Any] = []
    if days is not None:
        entry_where.append(case_index.c.occurred_on.in_(days))
        intake_where.append(people.c.intake_on.in_(days))
        first_where.append(first_served.c.day.in_(days))
    outcome = func.coalesce(case_index.c.outcome, case_index.c.status)
    rows = union_all(
        select(
            literal("d"),
            case_index.c.occurred_on,
            case_index.c.structure,
            case_index.c.kind,
            case_index.c.subtype,
            outcome,
            gender,
            func.count(),
        )
        .select_from(entries)
        .where(*entry_where)
        .group_by(
            case_index.c.occurred_on, case_index.c.structure, case_index.c.kind, case_index.c.subtype, outcome, gender
        ),
        select(
            literal("d"),
            case_index.c.occurred_on,
            case_index.c.structure,
            literal(REQUEST_TOTAL),
            literal(None),
            literal(None),
            literal(None),
            func.count(),
        )
        .where(*entry_where, case_index.c.kind == "request")
        .group_by(case_index.c.occurred_on, case_index.c.structure),
        select(
            literal("d"),
            people.c.intake_on,
            people.c.structure,
            literal("intake"),
            literal(None),
            literal(None),
            gender,
            func.count(),
        )
        .where(*intake_where)
        .group_by(people.c.intake_on, people.c.structure, gender),
        select(
            literal("d"),
            first_served.c.day,
            first_served.c.structure,
            literal("first"),
            literal(None),
            literal(None),
            first_served.c.gender,
            func.count(),
        )
        .where(*first_where)
        .group_by(first_served.c.day, first_served.c.structure, first_served.c.gender),
    )
    conn.execute(insert(indicator_counts).from_select(COUNT_COLUMNS, rows))
    _day_sets(conn, days)


def _day_sets(conn: Connection, days: list[date] | None) -> None:
    joined = contacts.join(people, people.c.beneficiary_id == contacts.c.beneficiary_id).join(
        person_ordinals, person_ordinals.c.beneficiary_id == contacts.c.beneficiary_id
    )
    where = [contacts.c.voided.is_(False), people.c.voided.is_(False)]
    if days is not None:
        where.append(contacts.c.day.in_(days))
    query = (
        select(contacts.c.day, contacts.c.structure, people.c.gender, person_ordinals.c.ordinal)
        .select_from(joined)
        .where(*where)
        .order_by(contacts.c.day)
    )
    sets: dict[tuple[date, str, str], BitMap] = defaultdict(BitMap)
    for day, structure, gender, ordinal in conn.execute(query.execution_options(yield_per=50_000)):
        sets[(day, structure, gender)].add(ordinal)
        sets[(day, ALL, gender)].add(ordinal)
    _write_sets(conn, "d", sets)


def _write_sets(conn: Connection, grain: str, sets: dict[tuple[date, str, str], BitMap]) -> None:
    rows = [
        {
            "grain": grain,
            "day": day,
            "structure": structure,
            "gender": gender,
            "n": len(members),
            "members": _pack(members),
        }
        for (day, structure, gender), members in sets.items()
    ]
    for start in range(0, len(rows), 5000):
        conn.execute(insert(served_sets), rows[start : start + 5000])


def _pack(members: BitMap) -> bytes:
    members.run_optimize()
    return bytes(members.serialize())


def unpack(blob: bytes) -> BitMap:
    return BitMap.deserialize(blob)


def _month(conn: Connection, month: date) -> None:
    """A month's rows again from its day rows."""
    last = month_end(month)
    conn.execute(delete(indicator_counts).where(indicator_counts.c.grain == "m", indicator_counts.c.day == month))
    conn.execute(delete(served_sets).where(served_sets.c.grain == "m", served_sets.c.day == month))
    c = indicator_counts.c
    in_month = [c.grain == "d", c.day >= month, c.day <= last]
    conn.execute(
        insert(indicator_counts).from_select(
            COUNT_COLUMNS,
            select(literal("m"), literal(month), c.structure, c.kind, c.key, c.key2, c.gender, func.sum(c.n))
            .where(*in_month)
            .group_by(c.structure, c.kind, c.key, c.key2, c.gender),
        )
    )
    s = served_sets.c
    sets: dict[tuple[date, str, str], BitMap] = defaultdict(BitMap)
    for structure, gender, blob in conn.execute(
        select(s.structure, s.gender, s.members).where(s.grain == "d", s.day >= month, s.day <= last)
    ):
        sets[(month, structure, gender)] |= unpack(blob)
    _write_sets(conn, "m", sets)


def _year(conn: Connection, year: date) -> None:
    """A year's counts again from its month rows (the served sets have no year grain: docs/design.md)."""
    c = indicator_counts.c
    conn.execute(delete(indicator_counts).where(c.grain == "y", c.day == year))
    conn.execute(
        insert(indicator_counts).from_select(
            COUNT_COLUMNS,
            select(literal("y"), literal(year), c.structure, c.kind, c.key, c.key2, c.gender, func.sum(c.n))
            .where(c.grain == "m", c.day >= year, c.day <= year_end(year), c.kind != REQUEST_TOTAL)
            .group_by(c.structure, c.kind, c.key, c.key2, c.gender),
        )
    )


# --------------------------------------------------------------------------------- reading
def _whole_years(first: date, last: date) -> tuple[date | None, date | None]:
    """The whole years among the whole months from ``first`` to ``last`` (first days): (None, None) if
    none. Inside the calendar: no year after 9999 or before 1 is ever computed."""
    if (first.month != 1 and first.year == date.max.year) or (last.month != 12 and last.year == date.min.year):
        return None, None
    first_year = first if first.month == 1 else next_year(first)
    last_year = year_of(last) if last.month == 12 else date(last.year - 1, 1, 1)
    return (first_year, last_year) if first_year <= last_year else (None, None)


@dataclass(frozen=True)
class Span:
    """A period as the summaries cut it: whole years [first_year, last_year], the whole months around
    them [first_month, last_month], and edge days. Without years (``years=False``, what a per-month
    listing reads) the whole months are read as months."""

    start: date
    end: date
    first_month: date | None  # the first whole month's first day, None if no whole month
    last_month: date | None
    first_year: date | None = None  # the first whole year's 1 January, None if no whole year (or not asked)
    last_year: date | None = None

    @classmethod
    def of(cls, start: date, end: date, *, years: bool = True) -> Span:
        # Month arithmetic that stays inside the calendar: a period may start in December 9999 or end
        # in January of year 1 (then it has no whole month there).
        if start.day != 1 and month_end(start) == date.max:
            return cls(start, end, None, None)
        first = start if start.day == 1 else next_month(start)
        if end != month_end(end) and month_of(end) == date.min:
            return cls(start, end, None, None)
        last = month_of(end) if end == month_end(end) else month_of(month_of(end) - timedelta(days=1))
        if first > last:
            return cls(start, end, None, None)
        if not years:
            return cls(start, end, first, last)
        return cls(start, end, first, last, *_whole_years(first, last))

    def rows(self, grain: Any, day: Any, *where: Any) -> Any:
        """Rows of a table with ``grain`` and ``day`` columns that make up the period once; ``where``
        is repeated in each range, so that each is one range of an index on (kind, grain, day)."""
        if self.first_month is None or self.last_month is None:
            return and_(*where, grain == "d", day >= self.start, day <= self.end)
        whole_last = month_end(self.last_month)
        days = [
            and_(*where, grain == "d", day >= self.start, day < self.first_month),
            and_(*where, grain == "d", day > whole_last, day <= self.end),
        ]
        if self.first_year is None or self.last_year is None:
            return or_(and_(*where, grain == "m", day >= self.first_month, day <= self.last_month), *days)
        return or_(
            and_(*where, grain == "y", day >= self.first_year, day <= self.last_year),
            and_(*where, grain == "m", day >= self.first_month, day < self.first_year),
            and_(*where, grain == "m", day > year_end(self.last_year), day <= self.last_month),
            *days,
        )
