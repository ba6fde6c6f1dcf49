"""The blind indexes a person is found by, and the backfill that gives every person exactly theirs.

Kinds of index, each an HMAC of its value under the tenant's blind-index key (``vault.blind_index``):
``name`` (the normalised surname, and first name and surname: the exact match of intake's likely
duplicates), ``surname-prefix`` (every prefix of the phonetic skeleton of each word of the surname,
``domain.name_keys``) and ``birth-date``. Rows live in the vault's non-unique index, so an erasure
(``vault.forget``) removes them with the person's key. The backfill is ``services.people_reindex``.
Design and what it leaks: docs/design.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.identifiers import normalise_name
from domain.name_keys import birth_date_key, prefixes
from services.ports import PersonalDataVault

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
