"""The blind indexes a person is found by, and the backfill that gives every person exactly theirs.

Kinds of index, each an HMAC of its value under the tenant's blind-index key (``vault.blind_index``):
``name`` (the normalised surname, and first name and surname: the exact match of intake's likely
duplicates), ``surname-prefix`` (every prefix of the phonetic skeleton of each word of the surname,
``domain.name_keys``) and ``birth-date``. Rows live in the vault's non-unique index, so an erasure
(``vault.forget``) removes them with the person's key. Design and what it leaks: docs/design.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.beneficiaries import Beneficiary
from domain.identifiers import normalise_name
from domain.name_keys import birth_date_key, prefixes
from projections import privacy_queries
from services.ports import PersonalDataVault

if TYPE_CHECKING:
    from projections.runner import CaseworkViews
    from services.casework import Casework

SURNAME_PREFIX = "surname-prefix"
BIRTH_DATE = "birth-date"


def indexes_of(vault: PersonalDataVault, personal: Mapping[str, Any]) -> set[str]:
    """Every blind index of a person's personal details (as sealed: names, ``birth_date`` ISO or a date)."""
    first, last = str(personal["first_name"]), str(personal["last_name"])
    born = personal["birth_date"]
    born = born if isinstance(born, date) else date.fromisoformat(str(born))
    exact = {vault.blind_index("name", normalise_name(key)) for key in (last, f"{first} {last}")}
    by_prefix = {vault.blind_index(SURNAME_PREFIX, key) for key in prefixes(last)}
    return exact | by_prefix | {vault.blind_index(BIRTH_DATE, birth_date_key(born))}


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
