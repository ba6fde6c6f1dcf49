"""What the read models hold about one person, and who is in them: the questions of data protection.

Apart from ``projections.queries`` (the figures), which is long enough: a subject-access request reads
every row about a person, the erasure due list every beneficiary.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, or_, select

from projections.tables import (
    case_index,
    contacts,
    household_members,
    households,
    operation_entries,
    operation_exits,
    people,
)


def _plain(rows: Any) -> list[dict[str, Any]]:
    """Rows as JSON values (dates, ids and the like as text), as a subject-access document holds them."""
    return [json.loads(json.dumps(dict(row), default=str)) for row in rows.mappings()]


def rows_about(conn: Connection, beneficiary_id: UUID) -> tuple[set[UUID], dict[str, list[dict[str, Any]]]]:
    """The entries about one beneficiary (not their own record) and every read-model row that concerns them."""
    entry_ids = {
        row[0]
        for row in conn.execute(select(case_index.c.entry_id).where(case_index.c.beneficiary_id == beneficiary_id))
    } | {row[0] for row in conn.execute(select(contacts.c.entry_id).where(contacts.c.beneficiary_id == beneficiary_id))}
    entry_ids.discard(beneficiary_id)
    about = or_(case_index.c.entry_id == beneficiary_id, case_index.c.entry_id.in_(entry_ids))
    return entry_ids, {
        "view_people": _plain(conn.execute(select(people).where(people.c.beneficiary_id == beneficiary_id))),
        "view_case_index": _plain(conn.execute(select(case_index).where(about))),
        "view_contacts": _plain(conn.execute(select(contacts).where(contacts.c.beneficiary_id == beneficiary_id))),
        # ESF participation (issue 21): their later operation entries (with the answers of that day)
        # and exits, which are data about them as much as the intake's row.
        "view_operation_entries": _plain(
            conn.execute(select(operation_entries).where(operation_entries.c.beneficiary_id == beneficiary_id))
        ),
        "view_operation_exits": _plain(
            conn.execute(select(operation_exits).where(operation_exits.c.beneficiary_id == beneficiary_id))
        ),
        # Households (issue 23): the household they are in now, with their relation to its head.
        "view_household_members": _plain(
            conn.execute(select(household_members).where(household_members.c.beneficiary_id == beneficiary_id))
        ),
        "view_households": _plain(
            conn.execute(
                select(households).where(
                    households.c.household_id.in_(
                        select(household_members.c.household_id).where(
                            household_members.c.beneficiary_id == beneficiary_id
                        )
                    )
                )
            )
        ),
    }


def beneficiaries_by_intake(conn: Connection) -> list[UUID]:
    """Every beneficiary in the views, the earliest intake first (erased ones too: the caller tells them)."""
    return [row[0] for row in conn.execute(select(people.c.beneficiary_id).order_by(people.c.intake_on))]
