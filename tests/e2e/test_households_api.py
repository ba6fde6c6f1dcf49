"""Households over the API (issue 23): build, read, move, leave; and what every other caller gets."""

from __future__ import annotations

import threading
from typing import Any
from uuid import uuid4

from tests.e2e.conftest import Api, intake_body

TENANT = "/api/v1/tenants/sofades"


def person(api: Api, n: int, user: str = "coord.sof", structure: str = "centre") -> str:
    body = intake_body(personal__amka=None, personal__last_name=f"Παπαδόπουλος{n}", structure=structure)
    response = api.post(user, "/beneficiaries", body)
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def form(api: Api, head: str, user: str = "coord.sof") -> Any:
    return api.post(user, "/households", {"beneficiary_id": head, "occurred_on": "2024-05-03"})


def add(api: Api, household: str, member: str, relation: str = "child", user: str = "coord.sof") -> Any:
    body = {"beneficiary_id": member, "relation": relation, "occurred_on": "2024-05-04"}
    return api.post(user, f"/households/{household}/members", body)


def household_of(api: Api, household: str, user: str = "coord.sof") -> Any:
    return api.client.get(f"{TENANT}/households/{household}", headers=api.headers(user))


def three(api: Api) -> tuple[str, list[str]]:
    head, spouse, child = (person(api, n) for n in range(3))
    household = str(form(api, head).json()["entry_id"])
    assert add(api, household, spouse, "spouse").status_code == 201
    assert add(api, household, child, "child").status_code == 201
    return household, [head, spouse, child]


def test_a_household_of_three_is_read_with_its_members_relations_and_size(api: Api) -> None:
    household, members = three(api)
    answer = household_of(api, household)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["size"] == 3
    relations = {m["beneficiary_id"]: m["relation"] for m in body["members"]}
    assert relations == dict(zip(members, ["head", "spouse", "child"], strict=True))
    assert body["members"][0]["relation"] == "head"  # the head first
    assert body["members"][0]["name"].endswith("Παπαδόπουλος0")
    spouse = next(m for m in body["members"] if m["relation"] == "spouse")
    assert spouse["relation_el"] == "Σύζυγος / σύντροφος"
    mine = api.client.get(f"{TENANT}/beneficiaries/{members[2]}/household", headers=api.headers("coord.sof"))
    assert mine.json()["household"]["id"] == household


def test_a_person_with_no_household_reads_none(api: Api) -> None:
    alone = person(api, 9)
    answer = api.client.get(f"{TENANT}/beneficiaries/{alone}/household", headers=api.headers("coord.sof"))
    assert answer.status_code == 200
    assert answer.json() == {"household": None}


def test_a_move_takes_the_person_from_one_household_to_the_other(api: Api) -> None:
    household, members = three(api)
    other = str(form(api, person(api, 5)).json()["entry_id"])
    moved = api.post(
        "coord.sof",
        f"/households/{other}/moves",
        {"beneficiary_id": members[2], "relation": "grandchild", "occurred_on": "2024-05-06"},
    )
    assert moved.status_code == 201, moved.text
    assert household_of(api, household).json()["size"] == 2
    assert [m["relation"] for m in household_of(api, other).json()["members"]] == ["head", "grandchild"]


def test_a_member_leaves_and_the_head_may_not_while_others_remain(api: Api) -> None:
    household, members = three(api)
    refused = api.post(
        "coord.sof", f"/households/{household}/departures", {"beneficiary_id": members[0], "occurred_on": "2024-05-06"}
    )
    assert refused.status_code == 409
    left = api.post(
        "coord.sof", f"/households/{household}/departures", {"beneficiary_id": members[1], "occurred_on": "2024-05-06"}
    )
    assert left.status_code == 201, left.text
    assert household_of(api, household).json()["size"] == 2


def test_a_person_already_in_a_household_is_refused_a_second_one(api: Api) -> None:
    _household, members = three(api)
    other = str(form(api, person(api, 5)).json()["entry_id"])
    answer = add(api, other, members[1])
    assert answer.status_code == 409
    assert answer.json()["field"] == "beneficiary_id"
    assert household_of(api, other).json()["size"] == 1


def test_two_concurrent_joins_of_one_person_record_one(api: Api) -> None:
    one, two = (str(form(api, person(api, n)).json()["entry_id"]) for n in (1, 2))
    joining = person(api, 3)
    api.headers("coord.sof")  # a token before the threads start
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def join(household: str) -> None:
        barrier.wait()
        answers.append(add(api, household, joining).status_code)

    threads = [threading.Thread(target=join, args=(h,)) for h in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers)[0] == 201
    assert sorted(answers)[1] == 409
    sizes = sorted(household_of(api, h).json()["size"] for h in (one, two))
    assert sizes == [1, 2]


def test_a_coordinator_of_another_tenant_cannot_read_or_change_a_household(api: Api) -> None:
    household, members = three(api)
    assert household_of(api, household, "coord.kar").status_code == 403
    assert add(api, household, members[1], user="coord.kar").status_code == 403
    other = api.client.post(
        f"/api/v1/tenants/karditsa/households/{household}/members",
        json={"beneficiary_id": members[1], "relation": "child", "occurred_on": "2024-05-04"},
        headers=api.headers("coord.kar"),
    )
    assert other.status_code == 404  # not in that tenant's log


def test_a_member_of_another_tenant_cannot_be_added(api: Api) -> None:
    household, _ = three(api)
    body = intake_body(personal__amka=None)
    stranger = api.client.post("/api/v1/tenants/karditsa/beneficiaries", json=body, headers=api.headers("coord.kar"))
    assert stranger.status_code == 201
    assert add(api, household, str(stranger.json()["entry_id"])).status_code == 404


def test_a_caseworker_of_the_roma_branch_neither_sees_nor_changes_a_household_of_the_centre(api: Api) -> None:
    household, members = three(api)
    assert household_of(api, household, "cw.sof.roma").status_code == 404
    roma = person(api, 7, user="cw.sof.roma", structure="roma-branch")
    assert add(api, household, roma, user="cw.sof.roma").status_code == 404
    assert add(api, household, roma, user="cw.sof.centre").status_code == 404  # a person she may not see
    assert add(api, household, roma, user="coord.sof").status_code == 422  # another structure than the household
    mine = api.client.get(f"{TENANT}/beneficiaries/{members[0]}/household", headers=api.headers("cw.sof.roma"))
    assert mine.status_code == 404


def test_a_caseworker_of_the_centre_builds_one_there(api: Api) -> None:
    head = person(api, 1, user="cw.sof.centre")
    formed = form(api, head, user="cw.sof.centre")
    assert formed.status_code == 201, formed.text
    assert household_of(api, str(formed.json()["entry_id"]), "cw.sof.centre").json()["size"] == 1


def test_an_analyst_and_an_auditor_without_clearance_read_no_household(api: Api) -> None:
    household, members = three(api)
    for user in ("analyst.thessaly", "auditor.sof", "auditor.pyl"):
        assert household_of(api, household, user).status_code == 403, user
        assert add(api, household, members[1], user=user).status_code == 403, user


def test_a_retry_with_the_same_key_records_the_household_once(api: Api) -> None:
    head = person(api, 1)
    key = f"hh-{uuid4()}"
    first = api.post("coord.sof", "/households", {"beneficiary_id": head, "occurred_on": "2024-05-03"}, key=key)
    again = api.post("coord.sof", "/households", {"beneficiary_id": head, "occurred_on": "2024-05-03"}, key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["entry_id"] == again.json()["entry_id"]


def served(api: Api, user: str, **params: str) -> Any:
    period = {"from": "2024-05-01", "to": "2024-05-31", **params}
    return api.client.get(f"{TENANT}/indicators", params=period, headers=api.headers(user))


def test_the_indicators_count_households_served_by_their_size_in_the_tenant_and_per_structure(api: Api) -> None:
    three(api)  # their intakes, 2024-05-02, are contacts in May
    form(api, person(api, 8))
    doc = served(api, "coord.sof").json()["households_served"]
    assert doc["total"] == 2
    assert {b["size"]: b["total"] for b in doc["by_size"]} == {"1": 1, "2": 0, "3": 1, "4": 0, "5+": 0}
    assert served(api, "coord.sof", structure="roma-branch").json()["households_served"]["total"] == 0
    assert served(api, "cw.sof.roma").json()["households_served"]["total"] == 0  # her own structure's
    assert (
        served(api, "coord.sof", **{"from": "2024-07-01", "to": "2024-07-31"}).json()["households_served"]["total"] == 0
    )
    csv = served(api, "coord.sof", format="csv").text
    assert "Νοικοκυριά που εξυπηρετήθηκαν ανά μέγεθος,households_served_by_size,3" in csv
