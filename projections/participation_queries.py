"""A person's ESF participation as the views hold it (issue 21): the intake's entry, each later entry
into an operation, each exit and six-month follow-up. Codes, dates and ids only; the entry data of
a later entry are there for a correction's form to start from.

Each function takes a connection first (``projections.reading``). ``structure``: a caseworker's own
structure, so that a record made by a structure she may not see is not listed.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from projections.tables import operation_entries, operation_exits, people


def participation(conn: Connection, *, beneficiary_id: UUID, structure: str | None) -> dict[str, Any]:
    """The person's intake day (None: not in the views), later entries and exits by operation."""
    intake = conn.execute(
        select(people.c.intake_on, people.c.structure).where(people.c.beneficiary_id == beneficiary_id)
    ).first()
    entries = select(operation_entries).where(operation_entries.c.beneficiary_id == beneficiary_id)
    exits = select(operation_exits).where(operation_exits.c.beneficiary_id == beneficiary_id)
    if structure is not None:
        entries = entries.where(operation_entries.c.structure == structure)
        exits = exits.where(operation_exits.c.structure == structure)
    return {
        "intake_on": intake.intake_on if intake is not None else None,
        "entries": {row["operation"]: dict(row) for row in conn.execute(entries).mappings()},
        "exits": {row["operation"]: dict(row) for row in conn.execute(exits).mappings()},
    }
