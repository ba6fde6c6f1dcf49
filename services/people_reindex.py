"""The backfill of the search indexes: every person of a tenant given exactly theirs.

Apart from ``services.people_index`` (which every intake uses) because it reads the views: the
``kentra`` command's start imports no SQL toolkit (tests/unit/test_cli_start.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from domain.beneficiaries import Beneficiary
from projections import privacy_queries
from services.people_index import indexes_of

if TYPE_CHECKING:
    from projections.runner import CaseworkViews
    from services.casework import Casework


def reindex(
    casework: Casework, views: CaseworkViews, *, each: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Give every person of the tenant exactly the indexes of their current personal details: none for
    one voided or erased. Idempotent (a second run changes nothing): the backfill after an upgrade
    that adds a kind of index, and the repair of indexes an interrupted amendment left behind.

    ``each(done, total)`` is called once per person (a progress bar's step)."""
    views.catch_up()
    people = views.read(privacy_queries.beneficiaries_by_intake)
    added = removed = done = 0
    for start in range(0, len(people), 500):
        chunk = people[start : start + 500]
        entries = casework.entries(chunk)
        casework.vault.preload(e.sealed for e in entries.values() if isinstance(e, Beneficiary) and e.sealed)
        for person in chunk:
            entry = entries.get(person)
            opened = casework.personal_data(entry) if isinstance(entry, Beneficiary) and not entry.voided else None
            wanted = indexes_of(casework.vault, opened["personal"]) if opened else set()
            more, fewer = casework.vault.reindex(person, wanted)
            added, removed, done = added + more, removed + fewer, done + 1
            if each is not None:
                each(done, len(people))
    return {"people": len(people), "added": added, "removed": removed}
