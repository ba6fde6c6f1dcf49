"""The read side's bodies are declared: every reporting, regional, audit and privacy answer has a schema."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api

TENANT = "/api/v1/tenants/{tenant}"
PERSON = TENANT + "/beneficiaries/{beneficiary_id}"
READ_SIDE = [
    ("get", TENANT + "/indicators", "200"),
    ("get", TENANT + "/esf-indicators", "200"),
    ("get", TENANT + "/caseload", "200"),
    ("get", TENANT + "/projections", "200"),
    ("get", "/api/v1/regions/{region}/indicators", "200"),
    ("get", "/api/v1/regions/{region}/lag", "200"),
    ("get", TENANT + "/audit/chain", "200"),
    ("get", TENANT + "/audit/indicators", "200"),
    ("get", TENANT + "/audit/drilldown", "200"),
    ("get", PERSON + "/erasure-date", "200"),
    ("post", PERSON + "/legal-holds", "201"),
    ("post", PERSON + "/erasure", "200"),
    ("get", PERSON + "/subject-access", "200"),
    ("get", PERSON + "/assignment", "200"),
]


@pytest.mark.parametrize(("method", "path", "status"), READ_SIDE)
def test_a_read_side_answer_is_described_by_a_named_schema(api: Api, method: str, path: str, status: str) -> None:
    spec = api.client.get("/openapi.json").json()
    content = spec["paths"][path][method]["responses"][status]["content"]["application/json"]
    ref = content["schema"].get("$ref", "")
    assert ref.startswith("#/components/schemas/"), f"{method.upper()} {path} answers an undescribed body"
    assert spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]


def test_the_indicators_schema_names_every_field_of_the_document(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    doc = api.client.get(
        "/api/v1/tenants/sofades/indicators",
        params={"from": "2024-01-01", "to": "2024-12-31"},
        headers=api.headers("coord.sof"),
    ).json()
    assert set(schemas["Indicators"]["properties"]) == set(doc)
    served = schemas["Served"]["properties"]
    assert set(served) == set(doc["beneficiaries_served"])
