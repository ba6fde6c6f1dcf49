"""What a caseworker takes into the field (issue 25): the people she is responsible for and their open
items, answered from the case index. Ids, codes, dates and versions only; names are opened by the use
case (``services.field``), each look recorded.

The same rules as the worklists (``projections.worklist_queries``): never a voided entry, nor any entry
about a voided or erased person; the responsible worker is the last assignment or, without one, who
recorded the intake, in the intake's structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, or_, select

from projections.tables import case_index, people, responsibility
from projections.worklist_queries import LIVE, OPEN_REQUEST, intake, responsible_structure, responsible_worker

# What a caseworker can act on in the field: a request still open (a step, its resolution), a visit
# whose follow-up is due (the follow-up visit).
FIELD_ITEM = or_(
    and_(case_index.c.kind == "request", case_index.c.status.in_(OPEN_REQUEST)),
    and_(case_index.c.kind == "home_visit", case_index.c.status == "follow_up_due"),
)


@dataclass(frozen=True)
class FieldFilter:
    """Whose people (``worker``), confined to the structure responsible for them (``structure``: a
    caseworker's own, None for a coordinator's whole tenant)."""

    worker: str
    structure: str | None
    limit: int = 200


def people_of(conn: Connection, f: FieldFilter) -> list[dict[str, Any]]:
    """The live people ``f.worker`` is responsible for, oldest intake first, at most ``f.limit``."""
    where = [
        intake.c.kind == "beneficiary",
        intake.c.voided.is_(False),
        people.c.voided.is_(False),
        people.c.erased.is_(False),
        responsible_worker == f.worker,
    ]
    if f.structure is not None:
        where.append(responsible_structure == f.structure)
    rows = conn.execute(
        select(intake.c.entry_id.label("beneficiary_id"), intake.c.version, intake.c.structure)
        .select_from(
            intake.join(people, people.c.beneficiary_id == intake.c.entry_id).outerjoin(
                responsibility, responsibility.c.beneficiary_id == intake.c.entry_id
            )
        )
        .where(*where)
        .order_by(intake.c.occurred_on, intake.c.entry_id)
        .limit(f.limit)
    ).mappings()
    return [dict(row) for row in rows]


def open_items(conn: Connection, beneficiaries: list[UUID], structure: str | None) -> list[dict[str, Any]]:
    """The open requests and due follow-ups of these people, in ``structure`` (None: any)."""
    if not beneficiaries:
        return []
    where = [*LIVE, FIELD_ITEM, case_index.c.beneficiary_id.in_(beneficiaries)]
    if structure is not None:
        where.append(case_index.c.structure == structure)
    source = case_index.join(intake, intake.c.entry_id == case_index.c.beneficiary_id).join(
        people, people.c.beneficiary_id == case_index.c.beneficiary_id
    )
    rows = conn.execute(
        select(
            case_index.c.entry_id,
            case_index.c.kind,
            case_index.c.subtype,
            case_index.c.local_subtype,
            case_index.c.status,
            case_index.c.structure,
            case_index.c.beneficiary_id,
            case_index.c.occurred_on,
            case_index.c.follow_up_due,
            case_index.c.version,
        )
        .select_from(source)
        .where(*where)
        .order_by(case_index.c.occurred_on, case_index.c.entry_id)
    ).mappings()
    return [dict(row) for row in rows]
