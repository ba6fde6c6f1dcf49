"""What the person's page lists besides their own entries: the activities they took part in."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, select

from projections.tables import case_index, contacts


def activities_of(conn: Connection, *, beneficiary_id: UUID, structure: str | None, limit: int) -> list[dict[str, Any]]:
    """Case-index rows of the activities naming this person (an activity of several people has no
    person of its own in the case index: the contacts say who took part), newest first."""
    took_part = and_(contacts.c.entry_id == case_index.c.entry_id, contacts.c.beneficiary_id == beneficiary_id)
    query = select(case_index).select_from(case_index.join(contacts, took_part)).where(case_index.c.kind == "activity")
    if structure is not None:
        query = query.where(case_index.c.structure == structure)
    rows = conn.execute(query.order_by(case_index.c.occurred_on.desc(), case_index.c.entry_id).limit(limit))
    return [dict(row) for row in rows.mappings().all()]
