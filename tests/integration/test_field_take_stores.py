"""Taking the day's visits (issue 25) on both stores, SQLite and PostgreSQL: its API tests ran on SQLite
only, and the query joins the case index, the people and the assignments, which the two databases may
order, compare and null-handle differently. The same isolation results on each: her own people and
their open items, nothing of a colleague's, another structure's, an erased or a handed-over person, and
nothing at all for an auditor."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.identifiers import make_amka
from infra.bootstrap import bootstrap
from services import field
from services.access import AccessDeniedError, Principal, Role
from tests.conftest import StoreUnderTest, command, intake, open_request
from tests.fakes import InMemoryStaff


def staff(store: StoreUnderTest) -> dict[str, Principal]:
    tenants = frozenset({store.tenant.id})
    return {
        "centre": Principal("m.georgiou", Role.CASEWORKER, tenants, structure="centre"),
        "colleague": Principal("k.nikou", Role.CASEWORKER, tenants, structure="centre"),
        "roma": Principal("roma.mediator", Role.CASEWORKER, tenants, structure="roma-branch"),
        "coordinator": Principal("coord", Role.COORDINATOR, tenants),
        "auditor": Principal("aud", Role.AUDITOR, tenants, personal_data=True),
    }


def person(store: StoreUnderTest, serial: int, by: str, structure: str) -> dict[str, UUID]:
    """A person recorded by ``by`` (so hers) with an open request and a visit whose follow-up is due."""
    who = store.casework.execute(
        intake(
            structure=structure,
            recorded_by=by,
            personal__last_name=f"Πεδίου{serial}",
            personal__amka=make_amka(date(1979, 3, 4), serial),
        )
    ).entry_id
    assert who is not None
    request = store.casework.execute(open_request(who, structure=structure, recorded_by=by)).entry_id
    visit = store.casework.execute(
        command(
            command="record_home_visit",
            beneficiary_id=str(who),
            purpose="living_conditions",
            structure=structure,
            occurred_on="2024-05-10",
            follow_up_due="2024-06-20",
            recorded_by=by,
        )
    ).entry_id
    assert request is not None
    assert visit is not None
    return {"id": who, "request": request, "visit": visit}


def taken(store: StoreUnderTest, user: Principal) -> tuple[set[UUID], set[UUID]]:
    result = field.take(store.casework, store.kentra.views(store.tenant.id), user, today=store.clock())
    return {p["id"] for p in result.people}, {i["entry_id"] for i in result.items}


def test_each_caseworker_takes_only_her_own_people_and_their_open_items_on_both_stores(
    store: StoreUnderTest,
) -> None:
    users = staff(store)
    mine = person(store, 6101, "m.georgiou", "centre")
    theirs = person(store, 6102, "k.nikou", "centre")
    roma = person(store, 6103, "roma.mediator", "roma-branch")
    assert taken(store, users["centre"]) == ({mine["id"]}, {mine["request"], mine["visit"]})
    assert taken(store, users["colleague"]) == ({theirs["id"]}, {theirs["request"], theirs["visit"]})
    assert taken(store, users["roma"]) == ({roma["id"]}, {roma["request"], roma["visit"]})
    assert taken(store, users["coordinator"]) == (set(), set())  # responsible for nobody here
    with pytest.raises(AccessDeniedError):
        taken(store, users["auditor"])


def test_a_case_handed_over_or_a_person_erased_leaves_her_device_list_on_both_stores(store: StoreUnderTest) -> None:
    users = staff(store)
    given = person(store, 6104, "m.georgiou", "centre")
    gone = person(store, 6105, "m.georgiou", "centre")
    kept = person(store, 6106, "m.georgiou", "centre")
    # The hand-over through a platform that knows the staff (the store fixture's has no directory).
    other = bootstrap(
        store.settings, registry=store.kentra.registry, today=store.clock, staff=InMemoryStaff(*users.values())
    )
    try:
        other.casework(store.tenant.id).execute(
            command(
                command="assign_case",
                beneficiary_id=str(given["id"]),
                worker="k.nikou",
                reason="Άδεια",
                occurred_on="2024-06-03",
                recorded_by="coord",
            )
        )
    finally:
        other.close()
    store.kentra.erase(store.tenant.id, gone["id"], reason="asked", legal_ground="art17_1_a", erased_by="coord")
    assert taken(store, users["centre"]) == ({kept["id"]}, {kept["request"], kept["visit"]})
    assert taken(store, users["colleague"]) == ({given["id"]}, {given["request"], given["visit"]})
    erased = field.take(store.casework, store.kentra.views(store.tenant.id), users["centre"], today=store.clock())
    assert "Πεδίου6105" not in str(erased)
