"""What a staff search shows beside each person found: the day of their last contact (the views)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select

from projections.tables import contacts


def last_contacts(conn: Connection, people: list[UUID], structure: str | None) -> dict[UUID, date]:
    """Each person's latest contact day not voided, of ``structure`` only when given (a caseworker's:
    a contact of the structure she may not see would say the person is served there too)."""
    found: dict[UUID, date] = {}
    for start in range(0, len(people), 500):
        where: list[Any] = [contacts.c.beneficiary_id.in_(people[start : start + 500]), contacts.c.voided.is_(False)]
        if structure is not None:
            where.append(contacts.c.structure == structure)
        latest = select(contacts.c.beneficiary_id, func.max(contacts.c.day)).where(*where)
        rows = conn.execute(latest.group_by(contacts.c.beneficiary_id))
        found.update((UUID(str(person)), day) for person, day in rows)
    return found
