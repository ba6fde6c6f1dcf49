"""Staff search: find a person by ΑΜΚΑ, by the start of the surname (in Greek or Latin letters, accents
and spelling ignored), by birth date, or by both, as the caseworkers' page and the API ask it.

Candidates come from blind indexes (``services.people_index``); each is then checked against the
person's current sealed details, so a stale index row never returns the wrong person. Only the people
the caller may see are counted, sorted or shown: a person of a structure she may not see is left out
before anything is counted (that someone is served by the Roma branch is special-category data).
The search is logged as before (how, and how many were shown; never what was searched for), and
each person shown is a logged look at their personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.beneficiaries import Beneficiary
from domain.errors import InvalidValueError
from domain.identifiers import normalise_name
from domain.name_keys import birth_date_key, matches, query_words
from projections.runner import CaseworkViews
from projections.search_queries import last_contacts
from services.access import Principal, may_search_people, sees_structure, structure_scope
from services.casework import Casework
from services.people_index import BIRTH_DATE, SURNAME_PREFIX

# More candidates the caller may see than this are not opened one by one: she is asked for more detail.
SCAN_LIMIT = 2000


@dataclass(frozen=True)
class PeopleQuery:
    """What staff search by: an ΑΜΚΑ alone, or the start of a name, a birth date, or both."""

    amka: str | None = None
    name: str | None = None
    birth_date: date | None = None

    @property
    def by(self) -> str:
        """How the search was made, as the access log keeps it (never the values)."""
        if self.amka is not None:
            return "amka"
        return "_".join(k for k, v in (("name", self.name), ("birth_date", self.birth_date)) if v is not None)


@dataclass(frozen=True)
class Found:
    """A person found, as the results show them: never the ΑΜΚΑ in full."""

    id: UUID
    structure: str
    registered_on: date
    first_name: str
    last_name: str
    birth_date: date | None
    amka_masked: str | None
    last_contact: date | None


@dataclass(frozen=True)
class Results:
    """The first ``limit`` people found, sorted by surname and first name, and how many were found in
    all (``too_many``: more than a search opens; none shown, more detail is asked for)."""

    people: list[Found]
    total: int
    limit: int
    too_many: bool = False

    @property
    def cut(self) -> bool:
        return self.total > len(self.people)


def masked_amka(amka: str | None) -> str | None:
    """An ΑΜΚΑ with its middle hidden (first four and last two digits shown), enough to tell two apart."""
    return None if not amka else f"{amka[:4]}{'•' * (len(amka) - 6)}{amka[-2:]}"


def _candidates(casework: Casework, query: PeopleQuery) -> tuple[set[UUID], list[frozenset[str]]]:
    """The people the indexes point at (anyone's structure), and the name query's words' keys."""
    vault = casework.vault
    if query.amka is not None:
        found = casework.find_by_amka(query.amka)
        return ({found} if found else set()), []
    if query.name is None and query.birth_date is None:
        raise InvalidValueError("give an ΑΜΚΑ, a surname or a birth date", field="name")
    keys = query_words(query.name) if query.name is not None else []
    sets = []
    if keys:  # any word may be the surname: the check below wants every word in the name
        sets.append(vault.indexed_any(vault.blind_index(SURNAME_PREFIX, k) for word in keys for k in word))
    if query.birth_date is not None:
        sets.append(vault.indexed_any([vault.blind_index(BIRTH_DATE, birth_date_key(query.birth_date))]))
    return set.intersection(*sets), keys


def _is_named(keys: list[frozenset[str]], first: str, last: str) -> bool:
    """Every word of the query begins a word of the name, one of them a word of the surname."""
    return all(matches(k, f"{first} {last}") for k in keys) and (not keys or any(matches(k, last) for k in keys))


def find(
    casework: Casework,
    views: CaseworkViews | None,
    user: Principal,
    query: PeopleQuery,
    *,
    limit: int,
    endpoint: str,
) -> Results:
    """The people matching ``query`` whom the caller may see, the first ``limit`` of them shown (each
    look logged) with their last contact (when ``views`` are given); the search itself logged."""
    may_search_people(user, casework.tenant.id)
    candidates, keys = _candidates(casework, query)
    entries = casework.entries(sorted(candidates))
    visible = [
        e
        for e in entries.values()
        if isinstance(e, Beneficiary) and not e.voided and not e.erased and sees_structure(user, e.structure)
    ]
    if len(visible) > SCAN_LIMIT:
        _logged(casework, user, query, [], endpoint)
        return Results(people=[], total=len(visible), limit=limit, too_many=True)
    casework.vault.preload(e.sealed for e in visible if e.sealed)
    matching = []
    for entry in visible:
        person = (casework.personal_data(entry) or {}).get("personal")
        if not person or not _is_named(keys, person["first_name"], person["last_name"]):
            continue  # erased meanwhile, or an index row left by a name since corrected
        born = date.fromisoformat(person["birth_date"]) if person.get("birth_date") else None
        if query.birth_date is not None and born != query.birth_date:
            continue
        matching.append((entry, person, born))
    matching.sort(key=lambda m: (normalise_name(m[1]["last_name"]), normalise_name(m[1]["first_name"]), str(m[0].id)))
    shown = matching[:limit]
    contacts = {}
    if views is not None and shown:
        views.catch_up()  # read your own writes: a contact just recorded is the last one
        contacts = views.read(last_contacts, [e.id for e, _, _ in shown], structure_scope(user))
    people = [
        Found(
            id=entry.id,
            structure=entry.structure,
            registered_on=entry.occurred_on,
            first_name=person["first_name"],
            last_name=person["last_name"],
            birth_date=born,
            amka_masked=masked_amka(person.get("amka")),
            last_contact=contacts.get(entry.id),
        )
        for entry, person, born in shown
    ]
    _logged(casework, user, query, [p.id for p in people], endpoint)
    return Results(people=people, total=len(matching), limit=limit)


def _logged(casework: Casework, user: Principal, query: PeopleQuery, shown: list[UUID], endpoint: str) -> None:
    """The search in the access log (how, how many shown), then each person shown as a look."""
    casework.record_search(
        by=query.by, found=len(shown), searched_by=user.username, role=user.role.value, endpoint=endpoint
    )
    for person in shown:
        casework.record_access(person, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
