"""What the households views answer (issue 23): a household with its members, a person's household,
and the households served in a period by size (docs/indicators.md)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select

from projections import queries
from projections.tables import contacts, household_members, households, people

SIZES = ("1", "2", "3", "4", "5+")


def household(conn: Connection, household_id: UUID) -> dict[str, Any] | None:
    """The household's row and its members' rows now (the head first, then by since), or None."""
    row = conn.execute(select(households).where(households.c.household_id == household_id)).mappings().first()
    if row is None:
        return None
    members = conn.execute(
        select(household_members)
        .where(household_members.c.household_id == household_id)
        .order_by(household_members.c.relation != "head", household_members.c.since, household_members.c.beneficiary_id)
    ).mappings()
    return {**dict(row), "members": [dict(m) for m in members]}


def household_of(conn: Connection, beneficiary_id: UUID) -> UUID | None:
    """The household the person is in now, if any."""
    found = conn.execute(
        select(household_members.c.household_id).where(household_members.c.beneficiary_id == beneficiary_id)
    ).first()
    return None if found is None else found[0]


def size_band(size: int) -> str:
    return "5+" if size >= 5 else str(size)


def households_served(conn: Connection, start: date, end: date, structure: str | None) -> dict[str, Any]:
    """Distinct households with at least one member now in them served in [start, end] (a non-voided
    contact, as ``queries._served`` counts people; in ``structure``'s contacts if given), by their size
    now: 1, 2, 3, 4, 5+."""
    where = [
        contacts.c.day >= start,
        contacts.c.day <= end,
        contacts.c.voided.is_(False),
        people.c.voided.is_(False),
    ]
    if structure:
        where.append(contacts.c.structure == structure)
    served = (
        select(household_members.c.household_id)
        .select_from(
            contacts.join(people, people.c.beneficiary_id == contacts.c.beneficiary_id).join(
                household_members, household_members.c.beneficiary_id == contacts.c.beneficiary_id
            )
        )
        .where(*where)
        .distinct()
        .subquery()
    )
    rows = conn.execute(
        select(households.c.size, func.count())
        .select_from(households.join(served, served.c.household_id == households.c.household_id))
        .group_by(households.c.size)
    ).all()
    by_size = dict.fromkeys(SIZES, 0)
    for size, n in rows:
        if int(size) > 0:
            by_size[size_band(int(size))] += int(n)
    return {"total": sum(by_size.values()), "by_size": [{"size": k, "total": v} for k, v in by_size.items()]}


def households_of(conn: Connection, beneficiary_ids: list[UUID]) -> dict[UUID, UUID]:
    """The household each of these people is in now (those in none left out)."""
    if not beneficiary_ids:
        return {}
    rows = conn.execute(
        select(household_members.c.beneficiary_id, household_members.c.household_id).where(
            household_members.c.beneficiary_id.in_(beneficiary_ids)
        )
    ).all()
    return dict(rows)


def indicators_with_households(conn: Connection, start: date, end: date, structure: str | None) -> dict[str, Any]:
    """The programme indicators with the households served (issue 23: the municipality's own figure;
    a Region's store holds no households), one answer: read with ``read_at_once``, one snapshot."""
    doc = queries.indicators(conn, start, end, structure)
    doc["households_served"] = households_served(conn, start, end, structure)
    return doc
