"""Erasing a member of a household (issue 23): their household link is gone from the views (the SQLite
file and the PostgreSQL tables), from the log (their membership no longer opens, the household names no
one) and from a rebuild; the household, its size and the other members' rows stay; the figures do not
move. And two joins of one person at once: the store records one."""

from __future__ import annotations

import glob
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from sqlalchemy import select

from domain.households import Household, HouseholdMembership, membership_id
from infra.stores import SqliteStorage
from projections import household_queries
from projections.privacy_queries import rows_about
from projections.queries import indicators
from projections.tables import household_members, households
from services.casework import read_log
from tests.conftest import StoreUnderTest, command, intake

YEAR = (date(2024, 1, 1), date(2024, 12, 31))


def person(store: StoreUnderTest, n: int) -> UUID:
    return store.casework.execute(intake(personal__amka=None, personal__last_name=f"Νοικοκύρη{n}")).entry_id


def build(store: StoreUnderTest) -> tuple[UUID, list[UUID]]:
    """A household of three (head, spouse, child), each served in 2024 (their intake), and a request of the child's."""
    members = [person(store, n) for n in range(3)]
    household = store.casework.execute(
        command(command="form_household", beneficiary_id=str(members[0]), occurred_on="2024-05-03")
    ).entry_id
    for member, relation in zip(members[1:], ("spouse", "child"), strict=True):
        store.casework.execute(
            command(
                command="add_household_member",
                household_id=str(household),
                beneficiary_id=str(member),
                relation=relation,
                occurred_on="2024-05-04",
            )
        )
    store.casework.execute(
        command(
            command="open_request",
            beneficiary_id=str(members[2]),
            category="gmi",
            structure="centre",
            occurred_on="2024-06-01",
        )
    )
    return household, members


def figures(store: StoreUnderTest) -> list[Any]:
    views = store.kentra.views(store.tenant.id)
    views.catch_up()
    with views.engine.connect() as conn:
        return [indicators(conn, *YEAR, None), household_queries.households_served(conn, *YEAR, None)]


def rows(store: StoreUnderTest) -> tuple[dict[UUID, tuple[UUID, str]], dict[UUID, int]]:
    views = store.kentra.views(store.tenant.id)
    views.catch_up()
    with views.engine.connect() as conn:
        columns = household_members.c
        found = conn.execute(select(columns.beneficiary_id, columns.household_id, columns.relation)).all()
        members = {b: (h, r) for b, h, r in found}
        sizes: dict[UUID, int] = dict(conn.execute(select(households.c.household_id, households.c.size)).all())
    return members, sizes


def in_sqlite_files(store: StoreUnderTest, trace: bytes) -> bool:
    storage = store.kentra.storage(store.tenant.id)
    assert isinstance(storage, SqliteStorage)
    return any(trace in open(path, "rb").read() for path in glob.glob(f"{storage.directory}/*"))


def test_erasing_a_member_removes_their_link_everywhere_and_leaves_the_household_and_the_figures(
    store: StoreUnderTest,
) -> None:
    household, (head, spouse, child) = build(store)
    before = figures(store)
    assert before[1]["total"] == 1
    assert before[1]["by_size"][2] == {"size": "3", "total": 1}
    members, _ = rows(store)
    assert members[child] == (household, "child")
    link = (child.hex + household.hex).encode()  # the member row as SQLite stores it (two hex uuids side by side)
    if store.kind == "sqlite":
        assert in_sqlite_files(store, link)  # the search sees it while it is there

    store.kentra.erase(store.tenant.id, child, reason="ζήτησε διαγραφή", legal_ground="test: ground", erased_by="c")

    if store.kind == "sqlite":  # the erasure itself leaves no copy, in the views' file or their WAL's old pages
        assert not in_sqlite_files(store, link)

    members, sizes = rows(store)
    assert set(members) == {head, spouse}  # the others' rows intact
    assert members[spouse] == (household, "spouse")
    assert sizes[household] == 3  # still counted, tied to no one
    assert figures(store) == before
    # The log: the household's events name no one; the child's membership no longer opens.
    vault = store.casework.vault
    for event in read_log(store.casework):
        values = " ".join(str(v) for v in vars(event).values())
        if isinstance(event, Household.Formed | Household.MemberJoined):
            assert str(child) not in values
            assert child.hex not in values
        if isinstance(event, HouseholdMembership.Joined) and event.originator_id == membership_id(
            store.tenant.id, child
        ):
            assert vault.unseal(event.sealed) is None  # type: ignore[attr-defined]
    # A rebuild folds the log again without her key: no row of hers, the same figures.
    store.kentra.views(store.tenant.id).rebuild()
    members, sizes = rows(store)
    assert set(members) == {head, spouse}
    assert sizes[household] == 3
    assert figures(store) == before
    page = store.casework.entry(household)
    assert isinstance(page, Household)
    assert page.size == 3


def test_the_subject_access_export_lists_the_household_membership(store: StoreUnderTest) -> None:
    household, (_, spouse, _) = build(store)
    views = store.kentra.views(store.tenant.id)
    views.catch_up()
    _, read_models = views.read(rows_about, spouse)
    assert read_models["view_household_members"][0]["household_id"] == str(household)
    assert read_models["view_household_members"][0]["relation"] == "spouse"
    assert read_models["view_households"][0]["size"] == 3


def test_two_joins_of_one_person_at_once_record_one(store: StoreUnderTest) -> None:
    """Two services (two processes, in effect) each read the person's membership before either saves:
    the second save is refused by the store, whichever household it was for."""
    one, two, joining = person(store, 1), person(store, 2), person(store, 3)
    first = store.casework
    for head in (one, two):
        first.execute(command(command="form_household", beneficiary_id=str(head), occurred_on="2024-05-03"))
    first.execute(  # the person joins, then leaves: their membership exists, at a version both will read
        command(command="form_household", beneficiary_id=str(joining), occurred_on="2024-05-03")
    )
    other = store.fresh_casework()
    mid = membership_id(store.tenant.id, joining)
    mine: object = first.repository.get(mid)
    theirs: object = other.repository.get(mid)
    assert isinstance(mine, HouseholdMembership)
    assert isinstance(theirs, HouseholdMembership)
    assert mine.version == theirs.version
    mine.leave(
        sealed=first.vault.seal(joining, {"beneficiary_id": str(joining)}),
        occurred_on=date(2024, 5, 4),
        recorded_by="a",
        structure="centre",
    )
    theirs.leave(
        sealed=other.vault.seal(joining, {"beneficiary_id": str(joining)}),
        occurred_on=date(2024, 5, 4),
        recorded_by="b",
        structure="centre",
    )
    first.save(mine)
    with pytest.raises(IntegrityError):
        other.save(theirs)
