"""The ESF participation steps over the API (gateways/http/participation.py): each records its event,
a retry answers the first response, and nobody outside the person's structure, tenant or staff
records anything, nor learns through these endpoints that a person of another structure exists."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.identifiers import make_amka
from services.casework import read_log
from tests.e2e.conftest import Api, intake_body

LEAVING = {"job_searching": True, "in_education_or_training": False, "qualification_gained": False, "employed": False}
ENTRY: dict[str, Any] = {"occurred_on": "2024-03-12"}
_amkas = itertools.count(7100)


def register(api: Api, worker: str = "cw.sof.centre", structure: str = "centre") -> str:
    """A person registered in 2021 (the 2014-2020 operation) in ``structure``."""
    amka = make_amka(date(1979, 3, 4), next(_amkas))
    body = intake_body(structure=structure, occurred_on="2021-05-02", personal__amka=amka)
    response = api.post(worker, "/beneficiaries", body)
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def events(api: Api, person: str, name: str) -> list[Any]:
    return [
        e
        for e in read_log(api.kentra.casework("sofades"))
        if type(e).__qualname__ == f"Beneficiary.{name}" and e.originator_id == UUID(person)
    ]


def step(api: Api, user: str, person: str, path: str, body: dict[str, Any], *, key: str | None = None) -> Any:
    return api.post(user, f"/beneficiaries/{person}/{path}", body, key)


def test_entering_a_later_operation_is_recorded_once_and_a_retry_answers_the_first_response(api: Api) -> None:
    person = register(api)
    first = step(api, "cw.sof.centre", person, "operation-entries", ENTRY, key="enter-0001")
    assert first.status_code == 201, first.text
    again = step(api, "cw.sof.centre", person, "operation-entries", ENTRY, key="enter-0001")
    assert (again.status_code, again.json()["version"], again.headers["Idempotent-Replayed"]) == (
        200,
        first.json()["version"],
        "true",
    )
    second = step(api, "cw.sof.centre", person, "operation-entries", {"occurred_on": "2024-04-01"})
    assert second.status_code == 409
    assert "counts once" in second.json()["detail"]
    [entered] = events(api, person, "OperationEntered")
    assert (entered.operation, entered.profile["age_at_entry"], entered.automatic) == ("2021-2027", 45, False)


def test_a_request_in_2024_enters_a_2021_person_into_2021_2027_by_itself(api: Api) -> None:
    person = register(api)
    opened = api.post(
        "cw.sof.centre",
        "/requests",
        {"beneficiary_id": person, "category": "gmi", "occurred_on": "2024-02-05", "structure": "centre"},
    )
    assert opened.status_code == 201, opened.text
    [entered] = events(api, person, "OperationEntered")
    assert (entered.operation, entered.occurred_on, entered.automatic) == ("2021-2027", date(2024, 2, 5), True)


def test_each_participation_step_records_its_event(api: Api) -> None:
    person = register(api, worker="coord.sof")
    answers = [
        step(
            api,
            "cw.sof.centre",
            person,
            "situation-changes",
            {"occurred_on": "2023-01-10", "changes": {"isced_level": 3}},
        ),
        step(api, "cw.sof.centre", person, "operation-exits", {"occurred_on": "2023-11-30", "status": LEAVING}),
        step(
            api,
            "cw.sof.centre",
            person,
            "long-term-results",
            {
                "occurred_on": "2024-06-01",
                "operation": "2014-2020",
                "status": {"employed": True, "improved_labour_market_situation": False},
            },
        ),
        step(
            api,
            "coord.sof",
            person,
            "operation-corrections",
            {
                "operation": "2014-2020",
                "record": "exit",
                "changes": {"occurred_on": "2023-11-15"},
                "reason": "wrong_date",
            },
        ),
    ]
    assert [a.status_code for a in answers] == [201, 201, 201, 201], [a.text for a in answers]
    names = ("SituationChanged", "OperationLeft", "LongTermResultRecorded", "OperationRecordCorrected")
    assert [len(events(api, person, name)) for name in names] == [1, 1, 1, 1]


def test_a_follow_up_before_six_months_is_refused_naming_the_day_it_is_due(api: Api) -> None:
    person = register(api)
    assert (
        step(
            api, "cw.sof.centre", person, "operation-exits", {"occurred_on": "2023-12-20", "status": LEAVING}
        ).status_code
        == 201
    )
    early = step(
        api,
        "cw.sof.centre",
        person,
        "long-term-results",
        {
            "occurred_on": "2024-06-01",
            "operation": "2014-2020",
            "status": {"employed": True, "improved_labour_market_situation": False},
        },
    )
    assert early.status_code == 422
    assert "2024-06-20" in early.json()["detail"]
    assert events(api, person, "LongTermResultRecorded") == []


ALL_STEPS: list[tuple[str, dict[str, Any]]] = [
    ("operation-entries", ENTRY),
    ("situation-changes", {"occurred_on": "2023-01-10", "changes": {"isced_level": 3}}),
    ("operation-exits", {"occurred_on": "2023-11-30", "status": LEAVING}),
    (
        "operation-corrections",
        {"operation": "2014-2020", "record": "entry", "changes": {}, "reason": "typing_error"},
    ),
]
RECORDED = ("OperationEntered", "SituationChanged", "OperationLeft", "OperationRecordCorrected")


@pytest.mark.parametrize(
    ("owner", "structure", "intruder", "status"),
    [
        ("cw.sof.centre", "centre", "cw.sof.roma", 404),  # the Roma branch's worker: the centre's person is not found
        ("cw.sof.roma", "roma-branch", "cw.sof.centre", 404),  # and the other way: the branch is not revealed
        ("cw.sof.centre", "centre", "coord.kar", 403),  # another tenant's coordinator
        ("cw.sof.centre", "centre", "auditor.sof", 403),  # an auditor reads, records nothing
        ("cw.sof.centre", "centre", "analyst.thessaly", 403),  # the Region sees figures only
    ],
)
def test_nobody_outside_the_persons_structure_or_staff_records_a_participation_step(
    api: Api, owner: str, structure: str, intruder: str, status: int
) -> None:
    person = register(api, worker=owner, structure=structure)
    for path, body in ALL_STEPS:
        answer = step(api, intruder, person, path, body)
        assert answer.status_code == status, (path, answer.text)
        assert "roma" not in answer.text.lower()
    assert [events(api, person, name) for name in RECORDED] == [[], [], [], []]
    assert step(api, owner, person, *ALL_STEPS[0]).status_code == 201  # while her own worker may


def test_a_caseworker_cannot_record_a_step_in_a_structure_not_hers(api: Api) -> None:
    person = register(api)
    answer = step(api, "cw.sof.centre", person, "operation-entries", {**ENTRY, "structure": "roma-branch"})
    assert answer.status_code == 403
    assert events(api, person, "OperationEntered") == []


def test_an_erased_person_enters_no_operation_and_nothing_more_is_recorded(api: Api) -> None:
    person = register(api)
    erased = api.client.post(
        f"/api/v1/tenants/sofades/beneficiaries/{person}/erasure",
        json={"reason": "ζήτησε διαγραφή", "legal_ground": "ΓΚΠΔ άρθρο 17(1)(α)"},
        headers=api.headers("coord.sof"),
    )
    assert erased.status_code == 200, erased.text
    for path, body in ALL_STEPS:
        answer = step(api, "coord.sof", person, path, body)
        assert answer.status_code == 409, (path, answer.text)
        assert "erased" in answer.json()["detail"]
    assert [events(api, person, name) for name in RECORDED] == [[], [], [], []]
