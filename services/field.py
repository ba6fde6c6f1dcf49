"""Field work without a connection (issue 25): what a caseworker takes onto her device for the day.

She takes the people she is responsible for (the worklists' rule: the last assignment, else who recorded
the intake) and their open items, with the few fields the field forms need: the person's name, birth
date, address and phone to find the home, the entries' ids, codes, dates and versions for the commands'
``expected_version``. Never the ΑΜΚΑ, the ΑΦΜ, notes, special-category answers or anything of another
worker's people: the device is the easiest place to lose data from. Each person taken is recorded in
the tenant's log as a look at personal data, as a person's page is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.errors import EntryNotFoundError
from projections import field_queries as q
from projections.runner import CaseworkViews
from services import people
from services.access import AccessDeniedError, Principal, Role, may_work_cases, structure_scope
from services.casework import Casework

ENDPOINT = "GET /field/take"
MAX_PEOPLE = 200  # a day's visits are a handful; a coordinator with hundreds of cases takes the first 200
PERSON_FIELDS = ("first_name", "last_name", "birth_date", "address", "phone")


@dataclass(frozen=True)
class Taken:
    """What goes onto the device: the people and their open items, as of ``as_of``."""

    as_of: date
    structure: str | None
    people: list[dict[str, Any]]
    items: list[dict[str, Any]]


def may_take(user: Principal, tenant_id: str) -> None:
    """Field work is a caseworker's or a coordinator's of the tenant, for her own people."""
    may_work_cases(user, tenant_id)
    if user.role not in (Role.CASEWORKER, Role.COORDINATOR):
        raise AccessDeniedError("field work is for caseworkers and coordinators")


def take(casework: Casework, views: CaseworkViews, user: Principal, *, today: date) -> Taken:
    """The caller's own people (responsible worker: her) in her scope, and their open items."""
    tenant = casework.tenant.id
    may_take(user, tenant)
    views.catch_up()  # what she recorded a moment ago is hers to take
    scope = structure_scope(user)
    rows = views.read(q.people_of, q.FieldFilter(worker=user.username, structure=scope, limit=MAX_PEOPLE))
    taken: list[dict[str, Any]] = []
    for row in rows:
        try:
            person = people.person(casework, user, row["beneficiary_id"])
        except (EntryNotFoundError, AccessDeniedError):
            continue  # erased or voided since the views were read, or out of her sight: nothing of it
        if not person.get("last_name"):
            continue  # personal data no longer open (erased): nothing to take
        taken.append(
            {
                "id": row["beneficiary_id"],
                "version": row["version"],
                "structure": row["structure"],
                **{k: person.get(k) for k in PERSON_FIELDS},
            }
        )
    ids: list[UUID] = [p["id"] for p in taken]
    for beneficiary_id in ids:
        casework.record_access(beneficiary_id, accessed_by=user.username, role=user.role.value, endpoint=ENDPOINT)
    items = views.read(q.open_items, ids, scope)
    return Taken(as_of=today, structure=scope, people=taken, items=items)
