"""Entry lists of one tenant (requests, referrals, home visits, activities), read from its views.

No personal data: the case index holds codes, dates and ids. A caseworker is held to her own
structure (``services.access.confined_structure``); every list first lets the views catch up with the
log, so what the caller just recorded is listed (read your own writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from projections import queries
from projections.runner import CaseworkViews
from services.access import Principal, confined_structure


@dataclass(frozen=True)
class ListQuery:
    """What a list asks for: a page, and the filters every kind shares."""

    limit: int
    offset: int
    status: str | None
    structure: str | None
    beneficiary_id: UUID | None
    occurred_from: date | None
    occurred_to: date | None


@dataclass(frozen=True)
class EntryPage:
    """One page of case-index rows and how many match in all."""

    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def list_entries(views: CaseworkViews, user: Principal, kind: str, subtype: str | None, query: ListQuery) -> EntryPage:
    """A page of entries of one kind (``subtype``: category, destination, purpose or activity kind)."""
    structure = confined_structure(user, query.structure)
    views.catch_up()  # read your own writes: the views follow the log before answering
    rows, total = views.read(
        queries.page,
        kind=kind,
        filters={
            "subtype": subtype,
            "status": query.status,
            "structure": structure,
            "beneficiary_id": query.beneficiary_id,
        },
        occurred_from=query.occurred_from,
        occurred_to=query.occurred_to,
        limit=query.limit,
        offset=query.offset,
    )
    return EntryPage(rows=rows, total=total, limit=query.limit, offset=query.offset)


def entries_of_person(
    views: CaseworkViews, user: Principal, beneficiary_id: UUID, kinds: tuple[str, ...], limit: int = 200
) -> dict[str, list[dict[str, Any]]]:
    """A person's entries of each kind, newest first; a caseworker's own structure's only (a person
    served by both structures lists the other's nowhere)."""
    views.catch_up()  # read your own writes: what was just recorded is listed
    entries = {}
    for kind in kinds:
        rows, _ = views.read(
            queries.page,
            kind=kind,
            filters={"beneficiary_id": beneficiary_id, "structure": confined_structure(user, None)},
            occurred_from=None,
            occurred_to=None,
            limit=limit,
            offset=0,
        )
        entries[kind] = rows
    return entries
