"""Questions the read models answer: pages of entries, indicators, ESF indicators, caseload.

Every figure is split by gender: female, male, non_binary, and unknown (no person behind it).
A person counts once per month and once per period, however often they were served.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import MAXYEAR, date, timedelta
from typing import Any

from pyroaring import BitMap
from sqlalchemy import ColumnElement, Connection, and_, extract, func, literal, select

from projections.esf_queries import esf_delivery
from projections.esf_rules import RULES
from projections.genders import GENDERS, by_gender
from projections.summary import ALL, REQUEST_TOTAL, Span, unpack
from projections.tables import case_index, contacts, indicator_counts, people, region_links, served_sets

__all__ = ["GENDERS", "by_gender"]  # where the other modules have always imported them from

Where = list[ColumnElement[bool]]


def month_key(day: date) -> str:
    return f"{day:%Y-%m}"


def months(start: date, end: date) -> list[str]:
    keys, day = [], start.replace(day=1)
    while day <= end:
        keys.append(month_key(day))
        if day.year == MAXYEAR and day.month == 12:
            break  # the calendar's last month: there is no next one
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return keys


def page(
    conn: Connection,
    *,
    kind: str,
    filters: dict[str, Any],
    occurred_from: date | None,
    occurred_to: date | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    where: Where = [case_index.c.kind == kind]
    where += [case_index.c[name] == value for name, value in filters.items() if value is not None]
    if occurred_from is not None:
        where.append(case_index.c.occurred_on >= occurred_from)
    if occurred_to is not None:
        where.append(case_index.c.occurred_on <= occurred_to)
    total = conn.execute(select(func.count()).select_from(case_index).where(*where)).scalar_one()
    rows = (
        conn.execute(
            select(case_index)
            .where(*where)
            .order_by(case_index.c.occurred_on.desc(), case_index.c.entry_id)
            .limit(limit)
            .offset(offset)
        )
        .mappings()
        .all()
    )
    return [dict(row) for row in rows], int(total)


def _served(conn: Connection, start: date, end: date, structure: str | None) -> dict[str, Any]:
    where: Where = [
        contacts.c.day >= start,
        contacts.c.day <= end,
        contacts.c.voided.is_(False),
        people.c.voided.is_(False),
    ]
    if structure:
        where.append(contacts.c.structure == structure)
    joined = contacts.join(people, people.c.beneficiary_id == contacts.c.beneficiary_id)
    # Counted by the database: a person has one gender, so people distinct per (month, gender) are
    # the month's people by gender, and likewise for the period.
    year, month = extract("year", contacts.c.day), extract("month", contacts.c.day)
    distinct = func.count(contacts.c.beneficiary_id.distinct())
    monthly = conn.execute(
        select(year, month, people.c.gender, distinct)
        .select_from(joined)
        .where(*where)
        .group_by(year, month, people.c.gender)
    ).all()
    per_month: dict[str, list[tuple[str | None, int]]] = defaultdict(list)
    for y, m, gender, n in monthly:
        per_month[f"{int(y):04d}-{int(m):02d}"].append((gender, int(n)))
    period = conn.execute(select(people.c.gender, distinct).select_from(joined).where(*where).group_by(people.c.gender))
    return {
        "per_month": [{"month": m, **by_gender(per_month.get(m, []))} for m in months(start, end)],
        "period": by_gender([(g, int(n)) for g, n in period]),
    }


AGE_GROUPS = ("under_18", "18_29", "30_54", "55_64", "65_plus")
"""Age at entry, in the bands of the ESF indicators (EECO06-08, Annex II's 65+): every person in one."""


def age_group(age: int) -> str:
    """The group of ``AGE_GROUPS`` an age at entry falls in."""
    for group, oldest in (("under_18", 17), ("18_29", 29), ("30_54", 54), ("55_64", 64)):
        if age <= oldest:
            return group
    return "65_plus"


def served_by_age(conn: Connection, start: date, end: date) -> dict[str, int]:
    """The people served in a span (as ``beneficiaries_served``) by their age group at entry."""
    where: Where = [contacts.c.day >= start, contacts.c.day <= end, contacts.c.voided.is_(False)]
    where.append(people.c.voided.is_(False))
    joined = contacts.join(people, people.c.beneficiary_id == contacts.c.beneficiary_id)
    # a person has one age at entry: people distinct per age add up to the group's people, and the
    # bands are said once (``age_group``), not again in SQL
    rows = conn.execute(
        select(people.c.age_at_entry, func.count(contacts.c.beneficiary_id.distinct()))
        .select_from(joined)
        .where(*where)
        .group_by(people.c.age_at_entry)
    ).all()
    found = dict.fromkeys(AGE_GROUPS, 0)
    for age, n in rows:
        found[age_group(int(age))] += int(n)
    return found


LOCAL = "local:"  # a person without a link: counted as themselves (their pseudonym is this store's alone)


class MixedLinkKeysError(Exception):
    """Links made under different linkage keys: a Region's store not yet rebuilt after a rotation."""

    def __init__(self, kids: Iterable[str]) -> None:
        self.kids = sorted(kids)
        super().__init__(
            f"links under {len(self.kids)} linkage keys ({', '.join(self.kids)}): rebuild the Region's roll-up "
            "from the gateways' replay so that every link is under the current key"
        )


def served_links(conn: Connection, start: date, end: date) -> set[str]:
    """The people ``_served`` counts in [start, end] (a non-voided contact), each as their region-wide link.

    A linked person is ``"<kid>:<link>"``, so the same person in two municipalities of a Region is one
    element of the union of their sets; a person with no link (no ΑΜΚΑ, no key, erased) is
    ``"local:<pseudonym>"`` and stays distinct. Count a union with ``distinct_people``.
    """
    joined = contacts.join(people, people.c.beneficiary_id == contacts.c.beneficiary_id).outerjoin(
        region_links, region_links.c.beneficiary_id == contacts.c.beneficiary_id
    )
    rows = conn.execute(
        select(contacts.c.beneficiary_id, region_links.c.kid, region_links.c.link)
        .distinct()
        .select_from(joined)
        .where(
            contacts.c.day >= start,
            contacts.c.day <= end,
            contacts.c.voided.is_(False),
            people.c.voided.is_(False),
        )
    ).all()
    return {f"{kid}:{link}" if link else f"{LOCAL}{person}" for person, kid, link in rows}


def distinct_people(links: Iterable[str]) -> int:
    """How many distinct people a union of ``served_links`` sets holds; refuses links under mixed keys."""
    distinct = set(links)
    kids = {item.split(":", 1)[0] for item in distinct if not item.startswith(LOCAL)}
    if len(kids) > 1:
        raise MixedLinkKeysError(kids)
    return len(distinct)


def _entries(kind: str, start: date, end: date, structure: str | None) -> Where:
    where: Where = [
        case_index.c.kind == kind,
        case_index.c.voided.is_(False),
        case_index.c.occurred_on >= start,
        case_index.c.occurred_on <= end,
    ]
    if structure:
        where.append(case_index.c.structure == structure)
    return where


def _gender_of_entry() -> Any:
    return case_index.outerjoin(
        people, and_(people.c.beneficiary_id == case_index.c.beneficiary_id, people.c.voided.is_(False))
    )


def _requests(conn: Connection, start: date, end: date, structure: str | None) -> dict[str, Any]:
    where = _entries("request", start, end, structure)
    source = _gender_of_entry()
    count = func.count()
    year, month = extract("year", case_index.c.occurred_on), extract("month", case_index.c.occurred_on)
    per_month = {
        f"{int(y):04d}-{int(m):02d}": int(n)
        for y, m, n in conn.execute(select(year, month, count).select_from(source).where(*where).group_by(year, month))
    }
    per_category = {
        k: int(n)
        for k, n in conn.execute(
            select(case_index.c.subtype, count).select_from(source).where(*where).group_by(case_index.c.subtype)
        )
    }
    by_structure: dict[str, list[tuple[str | None, int]]] = defaultdict(list)
    for place, gender, n in conn.execute(
        select(case_index.c.structure, people.c.gender, count)
        .select_from(source)
        .where(*where)
        .group_by(case_index.c.structure, people.c.gender)
    ):
        by_structure[place].append((gender, int(n)))
    return {
        "total": sum(per_month.values()),
        "per_month": [{"month": m, "total": per_month.get(m, 0)} for m in months(start, end)],
        "by_category": [{"category": k, "total": v} for k, v in sorted(per_category.items())],
        "by_structure_and_gender": [{"structure": k, **by_gender(v)} for k, v in sorted(by_structure.items())],
    }


def _grouped(
    conn: Connection, kind: str, column: Any, *, start: date, end: date, structure: str | None
) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(column, func.count()).where(*_entries(kind, start, end, structure)).group_by(column).order_by(column)
    ).all()
    return [{"key": key, "total": int(n)} for key, n in rows]


def _people_counts(conn: Connection, where: Where, structure: str | None) -> dict[str, int]:
    if structure:
        where = [*where, people.c.structure == structure]
    rows = conn.execute(
        select(people.c.gender, func.count()).where(people.c.voided.is_(False), *where).group_by(people.c.gender)
    ).all()
    return by_gender([(g, n) for g, n in rows])


def indicators(conn: Connection, start: date, end: date, structure: str | None) -> dict[str, Any]:
    """The programme indicators the centres publish, for any period (documented in docs/indicators.md).

    Read from the summaries (projections/summary.py): the work grows with the months asked, not with
    the history. ``indicators_from_rows`` is the same answer counted from the rows themselves.
    """
    span = Span.of(start, end)
    c = indicator_counts.c
    scoped: Where = [c.structure == structure] if structure else []
    total = func.sum(c.n)

    def period(*where: Any) -> Any:
        return span.rows(c.grain, c.day, *where, *scoped)

    def grouped(kind: str, column: Any) -> list[dict[str, Any]]:
        rows = conn.execute(select(column, total).where(period(c.kind == kind)).group_by(column).order_by(column)).all()
        return [{"key": key, "total": int(n)} for key, n in rows]

    per_category: dict[str, int] = defaultdict(int)
    by_structure: dict[str, list[tuple[str | None, int]]] = defaultdict(list)
    activity_kinds: dict[str, int] = defaultdict(int)
    for kind, key, place, gender, n in conn.execute(
        select(c.kind, c.key, c.structure, c.gender, total)
        .where(period(c.kind.in_(("request", "activity"))))
        .group_by(c.kind, c.key, c.structure, c.gender)
    ):
        if kind == "request":
            per_category[key] += int(n)
            by_structure[place].append((gender, int(n)))
        else:
            activity_kinds[key] += int(n)
    per_month: dict[str, int] = defaultdict(int)  # one row per (month or edge day, structure): no keys
    by_month = Span.of(start, end, years=False).rows(c.grain, c.day, c.kind == REQUEST_TOTAL, *scoped)
    for day, n in conn.execute(select(c.day, total).where(by_month).group_by(c.day)):
        per_month[month_key(day)] += int(n)
    referrals_by_structure = grouped("referral", c.structure)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "structure": structure,
        "genders": list(GENDERS),
        "beneficiaries_served": _served_from_sets(conn, span, structure),
        "requests": {
            "total": sum(per_month.values()),
            "per_month": [{"month": m, "total": per_month.get(m, 0)} for m in months(start, end)],
            "by_category": [{"category": k, "total": v} for k, v in sorted(per_category.items())],
            "by_structure_and_gender": [{"structure": k, **by_gender(v)} for k, v in sorted(by_structure.items())],
        },
        "referrals": {
            "total": sum(r["total"] for r in referrals_by_structure),
            "by_structure": referrals_by_structure,
            "by_destination": grouped("referral", c.key),
            "by_outcome": grouped("referral", c.key2),
        },
        "activities": {
            "networking_meetings": int(activity_kinds.get("networking_meeting", 0)),
            "community_events": int(activity_kinds.get("community_event", 0)),
            "by_kind": [{"key": k, "total": int(v)} for k, v in sorted(activity_kinds.items())],
            "home_visits_by_purpose": grouped("home_visit", c.key),
        },
        "new_beneficiaries": _counted(conn, span, "intake", structure),
        "beneficiaries_since_opening": _counted(conn, Span.of(OPENING, end), "intake", structure),
    }


OPENING = date(1, 1, 1)  # before anything: "since opening" is the period from here


def _counted(conn: Connection, span: Span, kind: str, structure: str | None) -> dict[str, int]:
    c = indicator_counts.c
    where: Where = [c.kind == kind]
    if kind == "first":  # kept per structure and over all ("*")
        where.append(c.structure == (structure or ALL))
    elif structure:
        where.append(c.structure == structure)
    rows = conn.execute(
        select(c.gender, func.sum(c.n)).where(span.rows(c.grain, c.day, *where)).group_by(c.gender)
    ).all()
    return by_gender([(g, int(n)) for g, n in rows])


def _served_from_sets(conn: Connection, span: Span, structure: str | None) -> dict[str, Any]:
    """People served per month and in the period: whole months' cardinalities, unions of the edge
    days' sets; over the period a union of its sets, or, for a period from before anyone was served
    (since opening), the count of people whose first day served is in it (additive)."""
    s = served_sets.c
    place = structure or ALL
    per_month: dict[str, list[tuple[str | None, int]]] = defaultdict(list)
    if span.first_month is not None:
        for day, gender, n in conn.execute(
            select(s.day, s.gender, s.n).where(
                s.grain == "m", s.day >= span.first_month, s.day <= span.last_month, s.structure == place
            )
        ):
            per_month[month_key(day)].append((gender, int(n)))
    edges: dict[tuple[str, str], BitMap] = defaultdict(BitMap)
    whole: list[tuple[str, bytes]] = []
    for day, gender, blob in conn.execute(
        select(s.day, s.gender, s.members).where(span.rows(s.grain, s.day, s.structure == place), s.grain == "d")
    ):
        edges[(month_key(day), gender)] |= unpack(blob)
    for (month, gender), members in edges.items():
        per_month[month].append((gender, len(members)))
    c = indicator_counts.c
    first = conn.execute(
        select(func.min(c.day)).where(c.grain == "d", c.kind == "first", c.structure == place)
    ).scalar_one_or_none()
    if first is None or span.start <= first:
        period = _counted(conn, Span.of(OPENING, span.end), "first", structure)
    else:
        if span.first_month is not None:
            whole = [
                (gender, blob)
                for gender, blob in conn.execute(
                    select(s.gender, s.members).where(
                        s.grain == "m", s.day >= span.first_month, s.day <= span.last_month, s.structure == place
                    )
                )
            ]
        sets: dict[str, list[BitMap]] = defaultdict(list)
        for gender, blob in whole:
            sets[gender].append(unpack(blob))
        for (_, gender), members in edges.items():
            sets[gender].append(members)
        period = by_gender([(g, len(BitMap.union(*m))) for g, m in sets.items()])
    return {
        "per_month": [{"month": m, **by_gender(per_month.get(m, []))} for m in months(span.start, span.end)],
        "period": period,
    }


def indicators_from_rows(conn: Connection, start: date, end: date, structure: str | None) -> dict[str, Any]:
    """The indicators counted from the rows (as before issue 24): what the summaries must equal."""
    activity_kinds: dict[str, int] = dict(
        conn.execute(
            select(case_index.c.subtype, func.count())
            .where(*_entries("activity", start, end, structure))
            .group_by(case_index.c.subtype)
        ).all()
    )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "structure": structure,
        "genders": list(GENDERS),
        "beneficiaries_served": _served(conn, start, end, structure),
        "requests": _requests(conn, start, end, structure),
        "referrals": {
            "total": sum(
                r["total"]
                for r in _grouped(conn, "referral", case_index.c.structure, start=start, end=end, structure=structure)
            ),
            "by_structure": _grouped(
                conn, "referral", case_index.c.structure, start=start, end=end, structure=structure
            ),
            "by_destination": _grouped(
                conn, "referral", case_index.c.subtype, start=start, end=end, structure=structure
            ),
            "by_outcome": _grouped(
                conn,
                "referral",
                func.coalesce(case_index.c.outcome, case_index.c.status),
                start=start,
                end=end,
                structure=structure,
            ),
        },
        "activities": {
            "networking_meetings": int(activity_kinds.get("networking_meeting", 0)),
            "community_events": int(activity_kinds.get("community_event", 0)),
            "by_kind": [{"key": k, "total": int(v)} for k, v in sorted(activity_kinds.items())],
            "home_visits_by_purpose": _grouped(
                conn, "home_visit", case_index.c.subtype, start=start, end=end, structure=structure
            ),
        },
        "new_beneficiaries": _people_counts(conn, [people.c.intake_on >= start, people.c.intake_on <= end], structure),
        "beneficiaries_since_opening": _people_counts(conn, [people.c.intake_on <= end], structure),
    }


def earliest_entry_on(conn: Connection) -> date | None:
    """The day of the earliest entry that is not voided: where a Region's years begin if no opening is known."""
    where: Where = [case_index.c.voided.is_(False)]
    found = conn.execute(select(func.min(case_index.c.occurred_on)).where(*where)).scalar_one_or_none()
    return found if isinstance(found, date) else None


def latest_entry_on(conn: Connection, until: date, structure: str | None) -> date | None:
    """The day of the latest entry (not voided) on or before ``until``: where a dashboard opens."""
    where: Where = [case_index.c.voided.is_(False), case_index.c.occurred_on <= until]
    if structure:
        where.append(case_index.c.structure == structure)
    found = conn.execute(select(func.max(case_index.c.occurred_on)).where(*where)).scalar_one_or_none()
    return found if isinstance(found, date) else None


# ----------------------------------------------------------------------------------- ESF indicators
# The codes and rules are projections/esf_rules.py's (one definition); these are the outputs, in the
# shape older callers read: code -> (label, rule, the special-category answer whose refusal is counted).
Rule = Callable[[dict[str, Any]], bool]


def _outputs(programme: str) -> dict[str, tuple[str, Rule, str | None]]:
    return {
        i.code: (i.label, i.rule, i.special[0] if i.special else None) for i in RULES[programme] if i.kind == "output"
    }


ESF_2014_2020 = _outputs("2014-2020")
ESF_2021_2027 = _outputs("2021-2027")
PROGRAMMES = {"2014-2020": ESF_2014_2020, "2021-2027": ESF_2021_2027}


def esf_indicators(conn: Connection, programme: str, start: date, end: date, structure: str | None) -> dict[str, Any]:
    """The ESF indicators of ``programme``'s operation for a period within it: ``esf_delivery``'s
    figures, without the participant file (projections/esf_queries.py has the rules)."""
    doc = esf_delivery(conn, programme, start, end, structure)
    return {k: v for k, v in doc.items() if k != "people"}


# ----------------------------------------------------------------------------------- caseload
AGE_BUCKETS = ((0, 7, "0-7"), (8, 30, "8-30"), (31, 90, "31-90"), (91, 100_000, "90+"))


def caseload(conn: Connection, today: date, structure: str | None) -> list[dict[str, Any]]:
    """Open work per structure and caseworker (who recorded the entry)."""
    where: Where = [case_index.c.voided.is_(False)]
    if structure:
        where.append(case_index.c.structure == structure)
    rows = conn.execute(
        select(
            case_index.c.structure,
            case_index.c.recorded_by,
            case_index.c.kind,
            case_index.c.status,
            case_index.c.occurred_on,
            case_index.c.follow_up_due,
            literal(1),
        ).where(*where, case_index.c.kind.in_(("request", "referral", "home_visit")))
    )
    load: dict[tuple[str, str], dict[str, Any]] = {}
    for place, staff, kind, status, occurred_on, due, _ in rows:
        item = load.setdefault(
            (place, staff),
            {
                "structure": place,
                "caseworker": staff,
                "open_requests_by_age_days": dict.fromkeys((label for _, _, label in AGE_BUCKETS), 0),
                "referrals_awaiting_answer": 0,
                "referrals_awaiting_outcome": 0,
                "home_visits_follow_up_due": 0,
                "home_visits_follow_up_overdue": 0,
            },
        )
        if kind == "request" and status in ("opened", "in_progress"):
            age = (today - occurred_on).days
            label = next(lab for low, high, lab in AGE_BUCKETS if low <= age <= high)
            item["open_requests_by_age_days"][label] += 1
        elif kind == "referral" and status == "sent":
            item["referrals_awaiting_answer"] += 1
        elif kind == "referral" and status == "accepted":
            item["referrals_awaiting_outcome"] += 1
        elif kind == "home_visit" and status == "follow_up_due":
            item["home_visits_follow_up_due"] += 1
            item["home_visits_follow_up_overdue"] += int(due is not None and due < today)
    return [load[k] for k in sorted(load)]
