"""The worklists ("Οι εργασίες μου") on both stores: which items each list holds after which steps, the
days N, filters, sorting and paging; voided entries and erased people never listed; a caseworker
confined to her structure whatever she asks."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from domain.identifiers import make_amka
from infra.bootstrap import bootstrap
from projections.queries import indicators
from services import worklists as w
from services.access import AccessDeniedError, Principal, Role
from tests.conftest import StoreUnderTest, command, intake, open_request
from tests.fakes import InMemoryStaff

TODAY = date(2024, 6, 28)  # the store fixture's clock


def staff(store: StoreUnderTest) -> dict[str, Principal]:
    tenants = frozenset({store.tenant.id})
    return {
        "centre": Principal("m.georgiou", Role.CASEWORKER, tenants, structure="centre"),
        "colleague": Principal("k.nikou", Role.CASEWORKER, tenants, structure="centre"),
        "roma": Principal("roma.mediator", Role.CASEWORKER, tenants, structure="roma-branch"),
        "coordinator": Principal("coord", Role.COORDINATOR, tenants),
        "auditor": Principal("aud", Role.AUDITOR, tenants, personal_data=True),
    }


def person(store: StoreUnderTest, number: int, structure: str = "centre", by: str = "m.georgiou") -> UUID:
    outcome = store.casework.execute(
        intake(structure=structure, recorded_by=by, personal__amka=make_amka(date(1979, 3, 4), number))
    )
    assert outcome.entry_id is not None
    return outcome.entry_id


def run(store: StoreUnderTest, **fields: object) -> UUID:
    outcome = store.casework.execute(command(**fields))
    assert outcome.entry_id is not None
    return outcome.entry_id


def request(store: StoreUnderTest, who: UUID, on: str = "2024-05-02", **fields: object) -> UUID:
    outcome = store.casework.execute(open_request(who, occurred_on=on, **fields))
    assert outcome.entry_id is not None
    return outcome.entry_id


def visit(store: StoreUnderTest, who: UUID, due: str | None, structure: str = "centre", **fields: object) -> UUID:
    return run(
        store,
        command="record_home_visit",
        beneficiary_id=str(who),
        purpose="living_conditions",
        structure=structure,
        occurred_on="2024-05-10",
        follow_up_due=due,
        **fields,
    )


def referral(store: StoreUnderTest, who: UUID, on: str, structure: str = "centre", **fields: object) -> UUID:
    return run(
        store,
        command="send_referral",
        beneficiary_id=str(who),
        destination="opeka",
        structure=structure,
        occurred_on=on,
        **fields,
    )


def listed(store: StoreUnderTest, user: Principal, name: str, **query: object) -> w.WorkPage:
    return w.worklist(
        store.kentra.views(store.tenant.id),
        store.tenant,
        user,
        name,
        w.WorkQuery(**query),  # type: ignore[arg-type]
        today=store.clock(),
    )


def ids(page: w.WorkPage) -> list[UUID]:
    key = "beneficiary_id" if page.name == "cases" else "entry_id"
    return [row[key] for row in page.rows]


def test_follow_ups_due_within_n_days_are_listed_overdue_first_and_leave_once_done(store: StoreUnderTest) -> None:
    users, her = staff(store), person(store, 1)
    overdue = visit(store, her, "2024-06-20")
    today = visit(store, her, "2024-06-28")
    soon = visit(store, her, "2024-07-03")
    later = visit(store, her, "2024-07-20")
    visit(store, her, None)  # no follow-up: no work
    page = listed(store, users["centre"], "follow_ups")
    assert ids(page) == [overdue, today, soon]
    assert page.total == 3
    assert page.days == 7
    assert [row["age_days"] for row in page.rows] == [8, 0, -5]
    assert ids(listed(store, users["centre"], "follow_ups", days=30))[-1] == later
    assert ids(listed(store, users["centre"], "follow_ups", days=0)) == [overdue, today]
    assert ids(listed(store, users["centre"], "follow_ups", descending=False)) == [soon, today, overdue]
    run(store, command="complete_home_visit_follow_up", visit_id=str(overdue), occurred_on="2024-06-27")
    assert ids(listed(store, users["centre"], "follow_ups")) == [today, soon]
    w_views = store.kentra.views(store.tenant.id)
    assert w.due_today(w_views, users["centre"], store.tenant.id, TODAY) == 1


def test_referrals_wait_more_than_n_days_for_an_answer_and_leave_the_list_when_answered(store: StoreUnderTest) -> None:
    users, her = staff(store), person(store, 1)
    old = referral(store, her, "2024-05-20")
    recent = referral(store, her, "2024-06-20")
    answered = referral(store, her, "2024-05-21")
    run(store, command="accept_referral", referral_id=str(answered), occurred_on="2024-06-01")
    page = listed(store, users["centre"], "referrals")
    assert ids(page) == [old]
    assert page.rows[0]["age_days"] == 39
    assert set(ids(listed(store, users["centre"], "referrals", days=5))) == {old, recent}
    assert ids(listed(store, users["centre"], "referrals", days=5, min_age=20)) == [old]
    assert ids(listed(store, users["centre"], "referrals", days=5, max_age=20)) == [recent]


def test_requests_pending_at_an_agency_for_more_than_n_days_and_a_reopened_one_is_back(store: StoreUnderTest) -> None:
    users, her = staff(store), person(store, 1)
    pending, decided, fresh, closed = (request(store, her) for _ in range(4))
    for entry, status, on in (
        (pending, "submitted", "2024-05-10"),
        (decided, "approved", "2024-05-10"),
        (fresh, "under_review", "2024-06-20"),
        (closed, "pending_documents", "2024-05-11"),
    ):
        run(store, command="record_agency_status", request_id=str(entry), agency="opeka", reference="ΟΠΕΚΑ/1",
            status=status, occurred_on=on)  # fmt: skip
    run(store, command="resolve_request", request_id=str(closed), occurred_on="2024-05-12")
    page = listed(store, users["centre"], "agency")
    assert ids(page) == [pending]
    row = page.rows[0]
    assert (row["agency"], row["agency_status"], row["agency_status_on"]) == ("opeka", "submitted", date(2024, 5, 10))
    assert "reference" not in row
    assert not any(value == "ΟΠΕΚΑ/1" for value in row.values())
    run(store, command="reopen_request", request_id=str(closed), occurred_on="2024-05-13", reason="επανεξέταση")
    assert ids(listed(store, users["centre"], "agency")) == [pending, closed]  # the longest without news first
    assert ids(listed(store, users["centre"], "agency", descending=False)) == [closed, pending]
    assert ids(listed(store, users["centre"], "agency", status="pending_documents")) == [closed]
    assert ids(listed(store, users["centre"], "agency", days=5)) == [pending, closed, fresh]


def test_my_open_cases_count_each_persons_open_items_and_the_oldest(store: StoreUnderTest) -> None:
    users = staff(store)
    her, him, theirs = person(store, 1), person(store, 2), person(store, 3, by="k.nikou")
    request(store, her, "2024-05-03")
    request(store, her, "2024-05-20", category="housing_benefit")
    visit(store, her, "2024-07-01")
    resolved = request(store, him, "2024-05-04")
    run(store, command="resolve_request", request_id=str(resolved), occurred_on="2024-05-05")
    request(store, theirs, "2024-05-06")
    page = listed(store, users["centre"], "cases")
    assert page.worker == "m.georgiou"
    assert [(r["beneficiary_id"], r["open_items"], r["oldest"]) for r in page.rows] == [(her, 3, date(2024, 5, 3))]
    wide = listed(store, users["centre"], "cases", worker="all")
    assert ids(wide) == [her, theirs]
    assert wide.total == 2
    assert ids(listed(store, users["centre"], "cases", worker="all", sort="count", descending=False)) == [theirs, her]
    assert ids(listed(store, users["centre"], "cases", worker="all", subtype="housing_benefit")) == [her]
    assert ids(listed(store, users["colleague"], "cases")) == [theirs]
    assert ids(listed(store, users["coordinator"], "cases", worker="k.nikou")) == [theirs]
    run(store, command="reopen_request", request_id=str(resolved), occurred_on="2024-05-06", reason="ξανά")
    assert ids(listed(store, users["centre"], "cases")) == [her, him]


def test_a_page_of_a_list_and_its_total(store: StoreUnderTest) -> None:
    users, her = staff(store), person(store, 1)
    made = [referral(store, her, (date(2024, 5, 2) + timedelta(days=n)).isoformat()) for n in range(5)]
    first = listed(store, users["centre"], "referrals", limit=2)
    second = listed(store, users["centre"], "referrals", limit=2, offset=2)
    last = listed(store, users["centre"], "referrals", limit=2, offset=4)
    assert first.total == second.total == last.total == 5
    assert ids(first) + ids(second) + ids(last) == made


def test_voided_entries_and_erased_people_are_never_work(store: StoreUnderTest) -> None:
    users, her, him = staff(store), person(store, 1), person(store, 2)
    voided = referral(store, her, "2024-05-02")
    kept = referral(store, her, "2024-05-02")
    referral(store, him, "2024-05-03")
    visit(store, him, "2024-06-01")
    request(store, him)
    run(store, command="void_entry", entry_id=str(voided), reason="duplicate_entry")
    store.kentra.erase(store.tenant.id, him, reason="asked", legal_ground="art17_1_a", erased_by="coord")
    coordinator = users["coordinator"]
    assert ids(listed(store, coordinator, "referrals")) == [kept]
    assert ids(listed(store, coordinator, "follow_ups")) == []
    assert ids(listed(store, coordinator, "cases")) == [her]
    assert w.due_today(store.kentra.views(store.tenant.id), coordinator, store.tenant.id, TODAY) == 0


def test_a_caseworker_never_gets_the_other_structures_items_nor_counts(store: StoreUnderTest) -> None:
    users = staff(store)
    her = person(store, 1)
    roma = person(store, 2, structure="roma-branch", by="roma.mediator")
    referral(store, her, "2024-05-02")
    referral(store, roma, "2024-05-02", structure="roma-branch")
    visit(store, roma, "2024-06-01", structure="roma-branch")
    centre = users["centre"]
    for name in w.LISTS:
        for asked in ({}, {"worker": "all"}, {"worker": "roma.mediator"}, {"status": "sent"}):
            page = listed(store, centre, name, **asked)
            assert roma not in [row["beneficiary_id"] for row in page.rows]
            assert all(row["structure"] == "centre" for row in page.rows) if name != "cases" else True
        with pytest.raises(AccessDeniedError):
            listed(store, centre, name, structure="roma-branch")
    assert listed(store, centre, "referrals", worker="roma.mediator").total == 0
    assert w.due_today(store.kentra.views(store.tenant.id), centre, store.tenant.id, TODAY) == 0
    assert w.due_today(store.kentra.views(store.tenant.id), users["roma"], store.tenant.id, TODAY) == 1
    coordinator = listed(store, users["coordinator"], "referrals", structure="roma-branch")
    assert [row["beneficiary_id"] for row in coordinator.rows] == [roma]


def test_auditors_get_no_worklist(store: StoreUnderTest) -> None:
    with pytest.raises(AccessDeniedError):
        listed(store, staff(store)["auditor"], "cases")
    views = store.kentra.views(store.tenant.id)
    assert w.due_today(views, staff(store)["auditor"], store.tenant.id, TODAY) is None


def test_the_lists_rebuild_from_the_log(store: StoreUnderTest) -> None:
    users, her = staff(store), person(store, 1)
    entry = request(store, her)
    run(store, command="record_agency_status", request_id=str(entry), agency="dypa", status="submitted",
        occurred_on="2024-05-03")  # fmt: skip
    visit(store, her, "2024-06-01")
    referral(store, her, "2024-05-02")
    # Someone who left the 2014-2020 operation more than six months ago: her ESF follow-up is due.
    earlier = store.casework.execute(intake(occurred_on="2022-05-02", personal__amka=make_amka(date(1979, 3, 4), 2)))
    assert earlier.entry_id is not None
    run(store, command="leave_operation", beneficiary_id=str(earlier.entry_id), occurred_on="2023-06-01",
        status={"job_searching": True, "in_education_or_training": False, "qualification_gained": False,
                "employed": False})  # fmt: skip
    before = {name: listed(store, users["centre"], name).rows for name in w.LISTS}
    store.kentra.views(store.tenant.id).rebuild()
    assert {name: listed(store, users["centre"], name).rows for name in w.LISTS} == before
    assert all(before.values())


def test_a_case_given_to_the_roma_branch_leaves_the_centre_list_and_the_figures_keep_its_entry_structure(
    store: StoreUnderTest,
) -> None:
    users = staff(store)
    directory = InMemoryStaff(*users.values())
    other = bootstrap(store.settings, registry=store.kentra.registry, today=store.clock, staff=directory)
    try:
        casework = other.casework(store.tenant.id)
        her = person(store, 1)
        referral(store, her, "2024-05-02")
        assert ids(listed(store, users["centre"], "cases")) == [her]
        casework.execute(
            command(
                command="assign_case",
                beneficiary_id=str(her),
                worker="roma.mediator",
                structure="roma-branch",
                reason="Μεταφορά στο παράρτημα",
                occurred_on="2024-06-01",
                recorded_by="coord",
            )
        )
        assert listed(store, users["centre"], "cases").total == 0
        assert listed(store, users["centre"], "referrals", worker="roma.mediator").total == 0
        # The centre's own referral stays centre work; the worker it is now with is not named to her.
        wide = listed(store, users["centre"], "referrals", worker="all")
        assert ids(wide) != []
        assert [row["worker"] for row in wide.rows] == [None]
        taken = listed(store, users["coordinator"], "cases", worker="roma.mediator")
        assert ids(taken) == [her]
        views = store.kentra.views(store.tenant.id)
        with views.engine.connect() as conn:
            assert indicators(conn, date(2024, 1, 1), date(2024, 12, 31), "centre")["new_beneficiaries"]["total"] == 1
        before = {name: listed(store, users["coordinator"], name).rows for name in w.LISTS}
        views.rebuild()
        assert {name: listed(store, users["coordinator"], name).rows for name in w.LISTS} == before
    finally:
        other.close()
