"""Households' use cases (issue 23): recording a step for a caller, and reading a household as she may
see it. Who may do what is ``services.access``'s; the commands are ``services.casework_households``'."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.errors import EntryNotFoundError
from domain.households import Household, HouseholdRelation
from projections import household_queries
from projections.runner import CaseworkViews
from services import commands as c
from services import staff_search
from services.access import Principal, may_change_household, may_read_households, sees_person
from services.casework import Casework, Outcome
from services.people import visible_entry
from services.recording import record

PEOPLE_NAMED = ("beneficiary_id", "former_head_id")


def visible_household(casework: Casework, user: Principal, household_id: UUID) -> Household:
    """The household if the caller may see its structure; otherwise 'not found'."""
    try:
        found = visible_entry(casework, user, household_id)
    except EntryNotFoundError:
        raise EntryNotFoundError(household_id, "household") from None
    if not isinstance(found, Household):
        raise EntryNotFoundError(household_id, "household")
    return found


def record_step(
    casework: Casework, user: Principal, payload: c.Payload, command: str, key: str, *, household_id: UUID | None = None
) -> Outcome:
    """A households command of the caller: every person it names and the household must be hers to see
    (else 'not found'), and she must record in the household's structure (the head's, when forming)."""
    named = [p for n in PEOPLE_NAMED if isinstance(p := getattr(payload, n, None), UUID)]
    people = [visible_entry(casework, user, p) for p in named]
    if household_id is not None:
        structure = visible_household(casework, user, household_id).structure
    else:
        structure = people[0].structure
    may_change_household(user, casework.tenant.id, structure)
    ids = {"household_id": household_id} if household_id is not None else {}
    return record(casework, user, payload, command, key, **ids)


def _member(casework: Casework, user: Principal, row: dict[str, Any]) -> dict[str, Any] | None:
    """A member as the caller may see them; None (counted in ``unlisted``, like an erased member) for one
    she may not see: a member corrected into another structure since she joined would otherwise show
    her id and relation with no name, telling the centre that the Roma branch serves her."""
    relation = HouseholdRelation(row["relation"])
    person = casework.entry(row["beneficiary_id"])
    if not sees_person(user, casework.tenant.id, person.structure):
        return None
    personal = (casework.personal_data(person) or {}).get("personal", {})
    name = " ".join(p for p in (personal.get("first_name"), personal.get("last_name")) if p) or None
    return {
        "beneficiary_id": row["beneficiary_id"],
        "relation": relation.value,
        "relation_el": relation.label_el,
        "relation_en": relation.label_en,
        "since": row["since"],
        "name": name,
    }


def household(
    casework: Casework, views: CaseworkViews, user: Principal, household_id: UUID, *, endpoint: str
) -> dict[str, Any]:
    """A household with its members now (names for those who may see them, each look logged) and its size;
    ``unlisted`` counts the members it has that no one can be shown (erased since)."""
    entry = visible_household(casework, user, household_id)
    may_read_households(user, casework.tenant.id)
    views.catch_up()
    found = views.read(household_queries.household, household_id)
    if found is None:
        raise EntryNotFoundError(household_id, "household")
    members = [m for m in (_member(casework, user, row) for row in found["members"]) if m is not None]
    for member in members:
        if member["name"] is not None:
            casework.record_access(
                member["beneficiary_id"], accessed_by=user.username, role=user.role.value, endpoint=endpoint
            )
    return {
        "id": household_id,
        "structure": found["structure"],
        "formed_on": found["formed_on"],
        "size": found["size"],
        "version": entry.version,
        "members": members,
        "unlisted": max(found["size"] - len(members), 0),
    }


def household_of(
    casework: Casework, views: CaseworkViews, user: Principal, beneficiary_id: UUID, *, endpoint: str
) -> dict[str, Any] | None:
    """The household the person is in now, as ``household`` shows it, or None."""
    visible_entry(casework, user, beneficiary_id)
    may_read_households(user, casework.tenant.id)
    views.catch_up()
    household_id = views.read(household_queries.household_of, beneficiary_id)
    if household_id is None:
        return None
    return household(casework, views, user, household_id, endpoint=endpoint)


def candidates(
    casework: Casework, views: CaseworkViews, user: Principal, *, name: str, endpoint: str
) -> list[dict[str, Any]]:
    """People found by name (the people search's rules and logging) whom the caller may see, each with the
    household they are in now, if any: whom to add to a household, or into whose household to move."""
    may_read_households(user, casework.tenant.id)
    found = staff_search.find(casework, views, user, staff_search.PeopleQuery(name=name), limit=20, endpoint=endpoint)
    ids = [p.id for p in found.people]
    households_now = views.read(household_queries.households_of, ids)
    return [
        {"id": p.id, "name": f"{p.first_name} {p.last_name}", "household_id": households_now.get(p.id)}
        for p in found.people
    ]
