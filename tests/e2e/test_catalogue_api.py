"""The local catalogue through the API (issue 23): a coordinator adds and retires, staff record in
local codes, and nobody else changes it or learns it outside the municipality."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api, intake_body

FIREWOOD = {
    "kind": "request_category",
    "code": "local_firewood",
    "label_el": "Καυσόξυλα χειμώνα",
    "label_en": "Winter firewood",
    "national": "food_aid_teba",
}


def add(api: Api, user: str = "coord.sof", tenant: str = "sofades", **fields: Any) -> Any:
    return api.client.post(
        f"/api/v1/tenants/{tenant}/catalogue", json={**FIREWOOD, **fields}, headers=api.headers(user)
    )


def person(api: Api, user: str = "cw.sof.centre", structure: str = "centre") -> str:
    response = api.post(user, "/beneficiaries", intake_body(structure=structure))
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def open_request(api: Api, beneficiary: str, category: str, user: str = "cw.sof.centre") -> Any:
    body = {"beneficiary_id": beneficiary, "category": category, "structure": "centre", "occurred_on": "2024-05-02"}
    return api.post(user, "/requests", body)


def test_a_coordinator_adds_a_local_category_and_a_caseworker_records_a_request_in_it(api: Api) -> None:
    assert add(api).status_code == 201
    listed = api.client.get("/api/v1/tenants/sofades/catalogue", headers=api.headers("cw.sof.centre"))
    assert listed.status_code == 200
    [entry] = listed.json()
    assert (entry["code"], entry["national"], entry["active"]) == ("local_firewood", "food_aid_teba", True)
    assert entry["national_label_el"].startswith("ΤΕΒΑ")
    opened = open_request(api, person(api), "local_firewood")
    assert opened.status_code == 201, opened.text
    shown = api.client.get(
        f"/api/v1/tenants/sofades/requests/{opened.json()['entry_id']}", headers=api.headers("cw.sof.centre")
    )
    assert shown.status_code == 200
    assert "local_firewood" in shown.text


def test_the_same_idempotency_key_adds_the_entry_once(api: Api) -> None:
    headers = api.headers("coord.sof", "catalogue-add-0001")
    first = api.client.post("/api/v1/tenants/sofades/catalogue", json=FIREWOOD, headers=headers)
    again = api.client.post("/api/v1/tenants/sofades/catalogue", json=FIREWOOD, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    "user", ["cw.sof.centre", "cw.sof.roma", "auditor.sof", "analyst.thessaly", "coord.kar", "admin"]
)
def test_only_the_tenants_coordinator_adds_to_its_catalogue(api: Api, user: str) -> None:
    assert add(api, user).status_code == 403
    listed = api.client.get("/api/v1/tenants/sofades/catalogue", headers=api.headers("coord.sof"))
    assert listed.json() == []


@pytest.mark.parametrize("user", ["analyst.thessaly", "coord.kar", "auditor.pyl", "admin"])
def test_nobody_outside_the_municipality_reads_its_catalogue(api: Api, user: str) -> None:
    add(api)
    assert api.client.get("/api/v1/tenants/sofades/catalogue", headers=api.headers(user)).status_code == 403


def test_another_tenants_local_category_is_refused_here_naming_the_field(api: Api) -> None:
    assert add(api, "coord.kar", "karditsa").status_code == 201
    refused = open_request(api, person(api), "local_firewood")
    assert refused.status_code == 422
    assert refused.json()["field"] == "category"


def test_a_code_mapped_to_a_national_code_of_another_kind_is_refused(api: Api) -> None:
    refused = add(api, national="opeka")
    assert refused.status_code == 422
    assert refused.json()["field"] == "national"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "firewood"}, "body.code"),
        ({"label_el": "x" * 121}, "body.label_el"),
        ({"kind": "gender"}, "body.kind"),
    ],
)
def test_a_malformed_entry_is_refused_naming_the_field(api: Api, fields: dict[str, str], field: str) -> None:
    refused = add(api, **fields)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == field


def test_a_retired_category_refuses_new_requests_in_greek_and_keeps_old_ones_readable(api: Api) -> None:
    add(api)
    beneficiary = person(api)
    old = open_request(api, beneficiary, "local_firewood").json()["entry_id"]
    retire = "/api/v1/tenants/sofades/catalogue/request_category/local_firewood/retirement"
    assert api.client.post(retire, headers=api.headers("cw.sof.centre")).status_code == 403
    assert api.client.post(retire, headers=api.headers("coord.sof")).status_code == 201
    assert api.client.post(retire, headers=api.headers("coord.sof")).status_code == 409  # retired already
    refused = open_request(api, beneficiary, "local_firewood")
    assert refused.status_code == 422
    assert "αποσυρθεί" in refused.json()["detail"]
    shown = api.client.get(f"/api/v1/tenants/sofades/requests/{old}", headers=api.headers("cw.sof.centre"))
    assert shown.status_code == 200
    listed = api.client.get("/api/v1/tenants/sofades/catalogue", headers=api.headers("cw.sof.centre")).json()
    assert [(e["code"], e["active"], e["label_el"]) for e in listed] == [("local_firewood", False, "Καυσόξυλα χειμώνα")]


def test_a_relabelled_entry_keeps_its_code(api: Api) -> None:
    add(api)
    path = "/api/v1/tenants/sofades/catalogue/request_category/local_firewood/labels"
    body = {"label_el": "Ξύλα για τον χειμώνα", "label_en": "Wood for the winter"}
    assert api.client.post(path, json=body, headers=api.headers("coord.sof")).status_code == 201
    [entry] = api.client.get("/api/v1/tenants/sofades/catalogue", headers=api.headers("coord.sof")).json()
    assert (entry["code"], entry["label_el"]) == ("local_firewood", "Ξύλα για τον χειμώνα")


def test_the_api_schema_still_lists_the_national_categories(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    category = schema["components"]["schemas"]["OpenRequestFields"]["properties"]["category"]
    assert any("gmi" in option.get("enum", []) for option in category["anyOf"])
    assert any(option.get("pattern", "").startswith("^local_") for option in category["anyOf"])


def test_an_auditor_without_clearance_reads_the_labels_old_records_need(api: Api) -> None:
    add(api)
    listed = api.client.get("/api/v1/tenants/sofades/catalogue", headers=api.headers("auditor.sof"))
    assert listed.status_code == 200
    assert [e["code"] for e in listed.json()] == ["local_firewood"]


def test_a_roma_branch_caseworker_records_in_the_tenants_local_category_in_her_own_structure(api: Api) -> None:
    add(api)
    beneficiary = person(api, "cw.sof.roma", "roma-branch")
    body = {
        "beneficiary_id": beneficiary,
        "category": "local_firewood",
        "structure": "roma-branch",
        "occurred_on": "2024-05-02",
    }
    assert api.post("cw.sof.roma", "/requests", body).status_code == 201
    assert api.post("cw.sof.centre", "/requests", body).status_code in (403, 404)  # not her structure
