"""People use cases of one tenant: find someone by ΑΜΚΑ or name, show a person or an entry with its
history, and the likely duplicates at intake. Every look at personal data is recorded in the tenant's
log (who, in which role, through which endpoint; never what was searched for).

Who sees what is asked of ``services.access`` alone: an entry of a structure the caller may not see
is "not found", and sealed data open only for those ``sees_person`` allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.entries import CaseEntry
from domain.errors import EntryNotFoundError, InvalidValueError
from domain.profile import PersonalDetails
from services import staff_search
from services.access import (
    AccessDeniedError,
    Principal,
    history_for,
    sees_person,
    sees_structure,
)
from services.casework import Casework


@dataclass(frozen=True)
class Match:
    """A person found by a search, with the names the caller may see."""

    id: UUID
    structure: str
    registered_on: str
    first_name: str | None
    last_name: str | None


@dataclass(frozen=True)
class Shown:
    """An entry as its reader may see it: state and history, sealed data opened or not."""

    id: UUID
    kind: str
    version: int
    state: dict[str, Any]
    history: list[dict[str, Any]]


def visible_entry(casework: Casework, user: Principal, entry_id: UUID) -> CaseEntry:
    """The entry if the caller may see it; otherwise 'not found', so nothing about it leaks."""
    entry = casework.entry(entry_id)
    if not sees_structure(user, entry.structure):
        raise EntryNotFoundError(entry_id)
    return entry


def visible(casework: Casework, user: Principal, people: list[UUID]) -> list[UUID]:
    """The people found whom the caller may see: the others are left out without a trace."""
    return [b for b in people if sees_structure(user, casework.entry(b).structure)]


def searched(casework: Casework, user: Principal, by: str, shown: list[UUID], endpoint: str) -> None:
    """Log the search itself (how, and how many were shown; never what was searched for)."""
    casework.record_search(by=by, found=len(shown), searched_by=user.username, role=user.role.value, endpoint=endpoint)


def search(
    casework: Casework, user: Principal, *, amka: str | None, name: str | None, limit: int, endpoint: str
) -> list[Match]:
    """Find people by exact ΑΜΚΑ or by name, each shown person's look recorded."""
    if (amka is None) == (name is None):
        raise InvalidValueError("give exactly one of amka or name", field="amka")
    query = staff_search.PeopleQuery(amka=amka, name=name)
    found = staff_search.find(casework, None, user, query, limit=limit, endpoint=endpoint)
    return [
        Match(
            id=p.id,
            structure=p.structure,
            registered_on=p.registered_on.isoformat(),
            first_name=p.first_name,
            last_name=p.last_name,
        )
        for p in found.people
    ]


def show(casework: Casework, user: Principal, entry_id: UUID, kind: str, endpoint: str) -> Shown:
    """An entry of this kind with its history; personal data opened (and the look recorded) only for
    those who may see the person, pseudonymised for the others (an auditor without clearance)."""
    entry = visible_entry(casework, user, entry_id)
    if kind != entry.KIND:
        raise EntryNotFoundError(entry_id, kind)
    reveal = sees_person(user, casework.tenant.id, entry.structure)
    if reveal:
        subject = getattr(entry, "beneficiary_id", None) or (entry.id if kind == "beneficiary" else None)
        if subject is not None:
            casework.record_access(subject, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
    described = casework.describe(entry_id, reveal=reveal)
    history = history_for(user, casework.history(entry_id, reveal=reveal))
    state = described["state"]
    if not any(row["version"] == 1 for row in history):
        # Created in a structure the caller may not see (a case given to hers since): not who took it.
        state = {**state, "recorded_by": None}
    return Shown(id=entry.id, kind=entry.KIND, version=entry.version, state=state, history=history)


def person(casework: Casework, user: Principal, beneficiary_id: UUID) -> dict[str, Any]:
    """A person the caller may see, with their personal details (never the special-category answers)."""
    entry = visible_entry(casework, user, beneficiary_id)
    if entry.KIND != "beneficiary" or entry.voided:
        raise EntryNotFoundError(beneficiary_id, "beneficiary")
    if not sees_person(user, casework.tenant.id, entry.structure):
        raise AccessDeniedError("this account may not see personal data")
    opened = casework.personal_data(entry) or {}
    names = {s.id: s.name_el for s in casework.tenant.structures}
    return {
        "id": entry.id,
        "structure_id": entry.structure,
        "structure": names.get(entry.structure, entry.structure),
        "registered_on": entry.occurred_on.isoformat(),
        **opened.get("personal", {}),
    }


def seen(casework: Casework, user: Principal, people: list[UUID], endpoint: str) -> list[dict[str, Any]]:
    """The people shown on a page, each look recorded in the tenant's log as over the API."""
    shown = [person(casework, user, b) for b in people]  # first: a person the caller may not see is not logged
    for beneficiary_id in people:
        casework.record_access(beneficiary_id, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
    return shown


def likely_duplicates(casework: Casework, user: Principal, personal: PersonalDetails, endpoint: str) -> list[UUID]:
    """People already registered who are probably this one (same surname, and same first name or birth
    date) whom the caller may see. A match in a structure she may not see is not hinted at, not even
    counted: that someone is served by the Roma branch is itself special-category data."""
    shown = visible(casework, user, casework.likely_duplicates(personal))
    searched(casework, user, "likely_duplicate", shown, endpoint)
    return shown
