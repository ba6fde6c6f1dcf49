"""Indicator cells: every figure of an indicators document, named, and the entries and people behind it.

A cell is named ``metric/key/gender``, for example ``served/2022-07/female``,
``requests/category:gmi/total`` or ``esf-2014-2020/CO16:refused/male``. ``members`` returns what the
figure counts (entries, or distinct people for the people-counting metrics), so the number of
members always equals the figure: a test holds every cell of a document to that.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, func, select

from projections.esf_queries import counted, participants
from projections.esf_rules import RULES
from projections.queries import GENDERS, _entries, _gender_of_entry, month_key, months
from projections.tables import case_index, contacts, people

PEOPLE_METRICS = ("served", "new_beneficiaries", "beneficiaries_since_opening")
ENTRY_METRICS = {"requests": "request", "referrals": "referral", "activities": "activity", "home_visits": "home_visit"}
ALL_GENDERS = (*GENDERS, "total")


class UnknownCellError(ValueError):
    """The cell's name does not follow ``metric/key/gender`` with a known metric, key and gender."""

    def __init__(self, cell: str, why: str) -> None:
        super().__init__(f"unknown cell {cell!r}: {why}")


@dataclass(frozen=True)
class Member:
    """One thing a figure counts: an entry (request, referral...) and the person it concerns, if any."""

    entry_id: UUID
    beneficiary_id: UUID | None


def _gendered(prefix: str, counts: dict[str, int]) -> Iterator[tuple[str, int]]:
    for gender in ALL_GENDERS:
        yield f"{prefix}/{gender}", int(counts[gender])


def flatten(doc: dict[str, Any]) -> dict[str, int]:
    """Every figure of an indicators document (``projections.queries.indicators``) by cell name."""
    cells: dict[str, int] = {}
    served = doc["beneficiaries_served"]
    for month in served["per_month"]:
        cells.update(_gendered(f"served/{month['month']}", month))
    cells.update(_gendered("served/period", served["period"]))
    requests = doc["requests"]
    cells["requests/total/total"] = requests["total"]
    cells.update({f"requests/{m['month']}/total": m["total"] for m in requests["per_month"]})
    cells.update({f"requests/category:{c['category']}/total": c["total"] for c in requests["by_category"]})
    for row in requests["by_structure_and_gender"]:
        cells.update(_gendered(f"requests/structure:{row['structure']}", row))
    referrals = doc["referrals"]
    cells["referrals/total/total"] = referrals["total"]
    for group, prefix in (("by_structure", "structure"), ("by_destination", "destination"), ("by_outcome", "outcome")):
        cells.update({f"referrals/{prefix}:{r['key']}/total": r["total"] for r in referrals[group]})
    activities = doc["activities"]
    cells.update({f"activities/kind:{a['key']}/total": a["total"] for a in activities["by_kind"]})
    cells.update({f"home_visits/purpose:{v['key']}/total": v["total"] for v in activities["home_visits_by_purpose"]})
    cells.update(_gendered("new_beneficiaries/total", doc["new_beneficiaries"]))
    cells.update(_gendered("beneficiaries_since_opening/total", doc["beneficiaries_since_opening"]))
    return cells


def flatten_esf(doc: dict[str, Any]) -> dict[str, int]:
    """Every figure of an ESF document (``projections.esf_queries.esf_delivery``, or
    ``projections.queries.esf_indicators``) by cell name: ``esf-{operation}/participants/{gender}``,
    ``esf-{operation}/{code}/{gender}`` and ``esf-{operation}/{code}:refused/{gender}``."""
    metric = f"esf-{doc['programme']}"
    cells = dict(_gendered(f"{metric}/participants", doc["participants"]))
    for code in doc["indicators"]:
        cells.update(_gendered(f"{metric}/{code['code']}", code))
        if "refused" in code:
            cells.update(_gendered(f"{metric}/{code['code']}:refused", code["refused"]))
    return cells


def _gender_matches(column: Any, gender: str) -> Any:
    if gender == "total":
        return None
    if gender == "unknown":
        return func.coalesce(column, "unknown").not_in(GENDERS[:3])
    return column == gender


@dataclass(frozen=True)
class Cell:
    """A parsed cell name, with the period and structure of the document it belongs to."""

    name: str
    metric: str
    key: str
    gender: str
    start: date
    end: date
    structure: str | None

    @classmethod
    def parse(cls, name: str, start: date, end: date, structure: str | None) -> Cell:
        parts = name.split("/")
        if len(parts) != 3:
            raise UnknownCellError(name, "expected metric/key/gender")
        metric, key, gender = parts
        if gender not in ALL_GENDERS:
            raise UnknownCellError(name, f"gender must be one of {', '.join(ALL_GENDERS)}")
        return cls(name, metric, key, gender, start, end, structure)

    def unknown(self, why: str) -> UnknownCellError:
        return UnknownCellError(self.name, why)


def members(conn: Connection, name: str, start: date, end: date, structure: str | None) -> list[Member]:
    """What the cell's figure counts, in the views ``conn`` reads (live or replayed)."""
    cell = Cell.parse(name, start, end, structure)
    if cell.metric == "served":
        return _served(conn, cell)
    if cell.metric in ENTRY_METRICS:
        return _entry_members(conn, ENTRY_METRICS[cell.metric], cell)
    if cell.metric in ("new_beneficiaries", "beneficiaries_since_opening") and cell.key == "total":
        where = [people.c.voided.is_(False), people.c.intake_on <= end]
        if cell.metric == "new_beneficiaries":
            where.append(people.c.intake_on >= start)
        return _people(conn, where, cell.gender, structure)
    if cell.metric.startswith("esf-") and cell.metric.removeprefix("esf-") in RULES:
        return _esf(conn, cell.metric.removeprefix("esf-"), cell)
    raise cell.unknown("no such metric or key")


def _served(conn: Connection, cell: Cell) -> list[Member]:
    key, gender, start, end, structure = cell.key, cell.gender, cell.start, cell.end, cell.structure
    if key != "period" and key not in months(start, end):
        raise cell.unknown("the key is a month of the period (YYYY-MM) or 'period'")
    where = [contacts.c.day >= start, contacts.c.day <= end, contacts.c.voided.is_(False), people.c.voided.is_(False)]
    if structure:
        where.append(contacts.c.structure == structure)
    if (matches := _gender_matches(people.c.gender, gender)) is not None:
        where.append(matches)
    joined = contacts.join(people, people.c.beneficiary_id == contacts.c.beneficiary_id)
    rows = conn.execute(
        select(contacts.c.entry_id, contacts.c.beneficiary_id, contacts.c.day).select_from(joined).where(*where)
    ).all()
    return [Member(entry, person) for entry, person, day in rows if key in ("period", month_key(day))]


def _entry_members(conn: Connection, kind: str, cell: Cell) -> list[Member]:
    key, gender, start, end = cell.key, cell.gender, cell.start, cell.end
    where = _entries(kind, start, end, cell.structure)
    field, _, value = key.partition(":")
    columns = {
        "category": case_index.c.subtype,
        "destination": case_index.c.subtype,
        "kind": case_index.c.subtype,
        "purpose": case_index.c.subtype,
        "structure": case_index.c.structure,
        "outcome": func.coalesce(case_index.c.outcome, case_index.c.status),
    }
    month = None
    if field in columns and value:
        where.append(columns[field] == value)
    elif key in months(start, end):
        month = key
    elif key != "total":
        raise cell.unknown("no such key")
    if (matches := _gender_matches(people.c.gender, gender)) is not None:
        where.append(matches)
    rows = conn.execute(
        select(case_index.c.entry_id, case_index.c.beneficiary_id, case_index.c.occurred_on)
        .select_from(_gender_of_entry())
        .where(*where)
    ).all()
    return [Member(entry, person) for entry, person, day in rows if month in (None, month_key(day))]


def _people(conn: Connection, where: list[Any], gender: str, structure: str | None) -> list[Member]:
    if structure:
        where.append(people.c.structure == structure)
    if (matches := _gender_matches(people.c.gender, gender)) is not None:
        where.append(matches)
    rows = conn.execute(select(people.c.beneficiary_id).where(and_(*where))).all()
    return [Member(person, person) for (person,) in rows]


def _esf(conn: Connection, operation: str, cell: Cell) -> list[Member]:
    """The participants behind an ESF cell: the same rows and rules as the document's figures."""
    code, _, refused = cell.key.partition(":")
    rules = {i.code: i for i in RULES[operation]}
    if (code != "participants" and code not in rules) or refused not in ("", "refused"):
        raise cell.unknown(f"no such code in {operation}")
    if refused and (code == "participants" or not rules[code].special):
        raise cell.unknown(f"{code} has no refused answers to count")
    rows = participants(conn, operation, cell.start, cell.end, cell.structure)
    chosen = (
        [r for r in rows if r["entered"]]
        if code == "participants"
        else counted(rules[code], rows, refused=bool(refused))
    )
    if cell.gender != "total":
        known = GENDERS[:3]
        chosen = [r for r in chosen if (r["gender"] if r["gender"] in known else "unknown") == cell.gender]
    return [Member(r["beneficiary_id"], r["beneficiary_id"]) for r in chosen]


def figure(cell: str, found: list[Member]) -> int:
    """What a cell's figure is, given its members: distinct people, or entries."""
    metric = cell.split("/", 1)[0]
    if metric in PEOPLE_METRICS or metric.startswith("esf-"):
        return len({m.beneficiary_id for m in found})
    return len({m.entry_id for m in found})
