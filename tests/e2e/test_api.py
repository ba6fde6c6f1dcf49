"""The HTTP API as its clients use it."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from domain.access_log import PersonalDataAccess
from domain.identifiers import make_amka
from services.casework import read_log
from tests.e2e.conftest import Api, intake_body

PROBLEM = "application/problem+json"


def test_signing_in_with_a_wrong_password_is_refused_as_a_problem(api: Api) -> None:
    response = api.client.post("/api/v1/auth/token", data={"username": "coord.sof", "password": "nope"})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Unauthorized"
    assert api.client.get("/api/v1/tenants").status_code == 401


def test_each_role_sees_the_tenants_of_its_scope(api: Api) -> None:
    def seen(user: str) -> list[str]:
        return [t["id"] for t in api.client.get("/api/v1/tenants", headers=api.headers(user)).json()]

    assert seen("coord.sof") == ["sofades"]
    assert seen("analyst.thessaly") == ["sofades", "karditsa", "tyrnavos"]
    assert seen("analyst.cmac") == ["pylaia-chortiatis"]
    assert seen("admin") == ["sofades", "karditsa", "tyrnavos", "pylaia-chortiatis"]


def test_an_intake_retried_with_the_same_key_returns_the_first_response(api: Api) -> None:
    first = api.post("cw.sof.centre", "/beneficiaries", intake_body(), key="intake-key-0001")
    assert first.status_code == 201, first.text
    events = sum(1 for _ in read_log(api.kentra.casework("sofades")))
    again = api.post("cw.sof.centre", "/beneficiaries", intake_body(), key="intake-key-0001")
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert {k: v for k, v in again.json().items() if k != "replayed"} == {
        k: v for k, v in first.json().items() if k != "replayed"
    }
    assert sum(1 for _ in read_log(api.kentra.casework("sofades"))) == events


def test_a_second_intake_of_the_same_person_is_a_conflict_naming_the_record_to_a_coordinator(api: Api) -> None:
    first = api.post("cw.sof.centre", "/beneficiaries", intake_body()).json()
    again = api.post("coord.sof", "/beneficiaries", intake_body())
    assert again.status_code == 409
    assert again.json()["existing_id"] == first["entry_id"]
    assert again.json()["field"] == "amka"
    # A caseworker is told the same whichever structure holds it: no record (test_structure_privacy.py).
    assert "existing_id" not in api.post("cw.sof.centre", "/beneficiaries", intake_body()).json()


def test_reading_a_beneficiary_shows_their_history_and_is_itself_logged(api: Api) -> None:
    created = api.post("cw.sof.centre", "/beneficiaries", intake_body()).json()
    response = api.client.get(
        f"/api/v1/tenants/sofades/beneficiaries/{created['entry_id']}", headers=api.headers("coord.sof")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"]["sealed"]["personal"]["last_name"] == "Τσιουρβαλή"
    assert [h["event"] for h in body["history"]] == ["Beneficiary.Registered"]
    log = read_log(api.kentra.casework("sofades"))
    accesses = [e for e in log if type(e).__qualname__ == f"{PersonalDataAccess.__name__}.Recorded"]
    assert [(a.accessed_by, a.endpoint, str(a.beneficiary_id)) for a in accesses] == [
        ("coord.sof", "GET /beneficiaries/{id}", created["entry_id"])
    ]


def test_an_auditor_reads_history_without_personal_data(api: Api) -> None:
    created = api.post("cw.sof.centre", "/beneficiaries", intake_body()).json()
    body = api.client.get(
        f"/api/v1/tenants/sofades/beneficiaries/{created['entry_id']}", headers=api.headers("auditor.sof")
    ).json()
    assert body["state"]["sealed"] == "[sealed]"
    assert "Τσιουρβαλή" not in str(body)


def test_beneficiaries_are_found_by_amka_and_by_name_without_accents(api: Api) -> None:
    created = api.post("cw.sof.centre", "/beneficiaries", intake_body()).json()
    headers = api.headers("cw.sof.centre")
    by_amka = api.client.get(
        "/api/v1/tenants/sofades/beneficiaries", params={"amka": make_amka(date(1979, 3, 4), 4242)}, headers=headers
    ).json()
    by_name = api.client.get(
        "/api/v1/tenants/sofades/beneficiaries", params={"name": "ευανθια τσιουρβαλη"}, headers=headers
    ).json()
    assert [m["id"] for m in by_amka] == [created["entry_id"]] == [m["id"] for m in by_name]
    assert by_name[0]["last_name"] == "Τσιουρβαλή"
    nobody = api.client.get("/api/v1/tenants/sofades/beneficiaries", params={"name": "Κανένας"}, headers=headers)
    assert nobody.json() == []


def test_a_request_and_a_referral_go_through_their_lifecycles(api: Api) -> None:
    person = api.post("cw.sof.centre", "/beneficiaries", intake_body()).json()["entry_id"]
    request = api.post(
        "cw.sof.centre",
        "/requests",
        {"beneficiary_id": person, "category": "gmi", "structure": "centre", "occurred_on": "2024-05-02"},
    )
    request_id = request.json()["entry_id"]
    resolved = api.post("cw.sof.centre", f"/requests/{request_id}/resolution", {"occurred_on": "2024-05-10"})
    assert (resolved.status_code, resolved.json()["version"]) == (201, 2)
    referral = api.post(
        "cw.sof.centre",
        "/referrals",
        {"beneficiary_id": person, "destination": "opeka", "structure": "centre", "occurred_on": "2024-05-03"},
    )
    referral_id = referral.json()["entry_id"]
    too_early = api.post(
        "cw.sof.centre", f"/referrals/{referral_id}/outcome", {"occurred_on": "2024-05-20", "outcome": "served"}
    )
    assert too_early.status_code == 409
    assert too_early.headers["content-type"] == PROBLEM
    assert "accepted" in too_early.json()["detail"]
    assert (
        api.post("cw.sof.centre", f"/referrals/{referral_id}/acceptance", {"occurred_on": "2024-05-06"}).status_code
        == 201
    )
    assert (
        api.post(
            "cw.sof.centre", f"/referrals/{referral_id}/outcome", {"occurred_on": "2024-05-20", "outcome": "served"}
        ).status_code
        == 201
    )
    history = api.client.get(
        f"/api/v1/tenants/sofades/referrals/{referral_id}", headers=api.headers("coord.sof")
    ).json()["history"]
    assert [h["event"] for h in history] == ["Referral.Sent", "Referral.Answered", "Referral.OutcomeRecorded"]


def test_a_correction_amends_an_entry_and_a_void_takes_no_changes(api: Api) -> None:
    person = api.post("cw.sof.centre", "/beneficiaries", intake_body()).json()["entry_id"]
    request_id = api.post(
        "cw.sof.centre",
        "/requests",
        {"beneficiary_id": person, "category": "gmi", "structure": "centre", "occurred_on": "2024-05-02"},
    ).json()["entry_id"]
    amended = api.post(
        "coord.sof",
        "/corrections",
        {"entry_id": request_id, "reason": "typing_error", "changes": {"category": "housing_benefit"}},
    )
    assert amended.status_code == 201
    bad_void = api.client.post(
        "/api/v1/tenants/sofades/corrections?action=void",
        headers=api.headers("coord.sof"),
        json={"entry_id": request_id, "reason": "other", "changes": {"category": "gmi"}},
    )
    assert bad_void.status_code == 422
    assert bad_void.json()["field"] == "changes"


def test_invalid_input_names_every_field_at_fault(api: Api) -> None:
    response = api.post(
        "cw.sof.centre",
        "/requests",
        {"beneficiary_id": "not-a-uuid", "category": "lottery", "structure": "centre", "occurred_on": "2024-02-30"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert {e["field"] for e in response.json()["errors"]} == {
        "body.beneficiary_id",
        "body.category",
        "body.occurred_on",
    }


def test_a_body_over_the_limit_is_refused_before_it_is_read(api: Api) -> None:
    body = intake_body()
    body["personal"]["notes"] = "Α" * 30_000
    response = api.post("cw.sof.centre", "/beneficiaries", body)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_the_openapi_document_has_an_example_for_every_request_body(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    bodies = [
        (path, op["requestBody"]) for path, item in spec["paths"].items() for op in item.values() if "requestBody" in op
    ]
    assert len(bodies) >= 12
    schemas = spec["components"]["schemas"]
    for path, body in bodies:
        content = next(iter(body["content"].values()))
        ref = content["schema"].get("$ref", "").rsplit("/", 1)[-1]
        schema = schemas.get(ref, content["schema"])
        assert "examples" in schema or "example" in content, f"no example for {path} ({ref})"


def test_every_endpoint_has_its_own_operation_id_named_for_what_it_does(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    for operation_id in ids:  # a verb and its object, not the path and method FastAPI derives by default
        assert operation_id.isidentifier(), operation_id
        assert operation_id.islower(), operation_id
        assert "api_v1" not in operation_id, operation_id
        assert not operation_id.endswith(("_get", "_post")), operation_id
    assert spec["paths"]["/api/v1/tenants/{tenant}/requests"]["post"]["operationId"] == "open_request"


def test_every_casework_list_says_what_its_items_hold(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path, kind in (
        ("requests", "request"),
        ("referrals", "referral"),
        ("home-visits", "home_visit"),
        ("activities", "activity"),
    ):
        answer = spec["paths"][f"/api/v1/tenants/{{tenant}}/{path}"]["get"]["responses"]["200"]
        page = schemas[answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]]
        item = schemas[page["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[-1]]
        assert item["properties"]["kind"]["const"] == kind
        assert {"entry_id", "status", "structure", "occurred_on", "version"} <= set(item["required"])


def test_requests_are_listed_with_filters_and_pages_and_follow_corrections(api: Api) -> None:
    person = api.post("cw.sof.centre", "/beneficiaries", intake_body()).json()["entry_id"]
    ids = []
    for day, category in (("2024-05-02", "gmi"), ("2024-05-03", "gmi"), ("2024-05-04", "housing_benefit")):
        ids.append(
            api.post(
                "cw.sof.centre",
                "/requests",
                {"beneficiary_id": person, "category": category, "structure": "centre", "occurred_on": day},
            ).json()["entry_id"]
        )
    api.post("cw.sof.centre", f"/requests/{ids[0]}/resolution", {"occurred_on": "2024-05-05"})
    api.post(
        "coord.sof",
        "/corrections",
        {"entry_id": ids[1], "reason": "typing_error", "changes": {"category": "birth_benefit"}},
    )

    def listed(user: str, **params: object) -> dict[str, object]:
        response = api.client.get("/api/v1/tenants/sofades/requests", params=params, headers=api.headers(user))
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    everything = listed("coord.sof")
    assert everything["total"] == 3
    assert [i["entry_id"] for i in everything["items"]] == list(reversed(ids))  # type: ignore[attr-defined]
    assert listed("coord.sof", category="gmi")["total"] == 1
    assert listed("coord.sof", status="resolved")["total"] == 1
    assert listed("coord.sof", **{"from": "2024-05-03"})["total"] == 2
    page = listed("coord.sof", limit=2, offset=2)
    assert (page["total"], len(page["items"])) == (3, 1)  # type: ignore[arg-type]
    assert "Τσιουρβαλή" not in str(everything)
    assert listed("cw.sof.roma")["total"] == 0  # a caseworker sees her own structure only
    too_big = api.client.get(
        "/api/v1/tenants/sofades/requests", params={"limit": 5000}, headers=api.headers("coord.sof")
    )
    assert too_big.status_code == 422
    other = api.client.get(
        "/api/v1/tenants/sofades/requests", params={"structure": "centre"}, headers=api.headers("cw.sof.roma")
    )
    assert other.status_code == 403


# Found by the issue 19 review (it failed on the merged refactor, passed before it).
def test_a_request_for_a_voided_person_is_refused_as_voided_before_its_structure_is_looked_at(api: Api) -> None:
    registered = api.post("coord.sof", "/beneficiaries", intake_body(personal__amka=make_amka(date(1979, 3, 4), 77)))
    assert registered.status_code == 201, registered.text
    person = registered.json()["entry_id"]
    voided = api.client.post(
        "/api/v1/tenants/sofades/corrections?action=void",
        headers=api.headers("coord.sof"),
        json={"entry_id": person, "reason": "duplicate_entry"},
    )
    assert voided.status_code == 201, voided.text
    body = {"beneficiary_id": person, "category": "gmi", "structure": "nowhere", "occurred_on": "2024-05-06"}
    refused = api.post("coord.sof", "/requests", body)
    assert (refused.status_code, refused.json()["error"]) == (409, "EntryVoidedError")


# Found by the issue 19 review (it failed on the merged refactor, passed before it).
def test_a_referral_for_a_voided_person_is_refused_as_voided_before_its_request_is_looked_up(api: Api) -> None:
    registered = api.post("coord.sof", "/beneficiaries", intake_body(personal__amka=make_amka(date(1979, 3, 4), 78)))
    assert registered.status_code == 201, registered.text
    person = registered.json()["entry_id"]
    voided = api.client.post(
        "/api/v1/tenants/sofades/corrections?action=void",
        headers=api.headers("coord.sof"),
        json={"entry_id": person, "reason": "duplicate_entry"},
    )
    assert voided.status_code == 201, voided.text
    body = {
        "beneficiary_id": person,
        "destination": "dypa",
        "request_id": str(uuid4()),
        "structure": "centre",
        "occurred_on": "2024-05-06",
    }
    refused = api.post("coord.sof", "/referrals", body)
    assert (refused.status_code, refused.json().get("error")) == (409, "EntryVoidedError"), refused.text
