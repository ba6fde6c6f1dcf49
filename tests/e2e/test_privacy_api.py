"""A coordinator's data-protection work over the API, and nobody else's."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from pypdf import PdfReader

from domain.identifiers import make_amka
from tests.e2e.conftest import Api, intake_body
from tests.e2e.test_indicators_api import open_request


def call(api: Api, user: str, method: str, path: str, **kwargs: Any) -> Any:
    return api.client.request(
        method, f"/api/v1/tenants/sofades/beneficiaries{path}", headers=api.headers(user), **kwargs
    )


def test_only_the_tenants_coordinator_manages_personal_data(api: Api) -> None:
    person = api.post("coord.sof", "/beneficiaries", intake_body()).json()["entry_id"]
    for user in ("cw.sof.centre", "auditor.sof", "analyst.thessaly", "admin", "coord.kar"):
        assert call(api, user, "GET", f"/{person}/erasure-date").status_code == 403, user
        assert call(api, user, "POST", f"/{person}/erasure", json={"reason": "asked"}).status_code == 403, user
        assert call(api, user, "GET", f"/{person}/subject-access").status_code == 403, user


def test_erasure_waits_for_the_retention_date_or_a_legal_ground_and_holds_move_it(api: Api) -> None:
    person = api.post(
        "coord.sof",
        "/beneficiaries",
        intake_body(occurred_on="2023-02-01", personal__amka=make_amka(date(1977, 7, 7), 1)),
    ).json()["entry_id"]
    when = call(api, "coord.sof", "GET", f"/{person}/erasure-date").json()
    assert (when["earliest"], when["allowed_today"]) == ("2029-01-01", False)
    held = call(api, "coord.sof", "POST", f"/{person}/legal-holds", json={"until": "2030-12-31", "reason": "υπόθεση"})
    assert held.status_code == 201
    assert held.json()["earliest"] == "2031-01-01"
    refused = call(api, "coord.sof", "POST", f"/{person}/erasure", json={"reason": "ζήτησε διαγραφή"})
    assert refused.status_code == 409
    assert "not before 2031-01-01" in refused.json()["detail"]
    done = call(
        api, "coord.sof", "POST", f"/{person}/erasure", json={"reason": "ζήτησε", "legal_ground": "ΓΚΠΔ 17(1)(α)"}
    )
    assert done.status_code == 200
    assert done.json()["erased"] is True
    shown = api.client.get(f"/api/v1/tenants/sofades/beneficiaries/{person}", headers=api.headers("coord.sof"))
    assert shown.json()["state"]["sealed"] == "[erased]"


def test_subject_access_gives_everything_held_and_who_looked_as_json_and_greek_pdf(api: Api) -> None:
    amka = make_amka(date(1980, 8, 8), 2)
    person = api.post(
        "coord.sof", "/beneficiaries", intake_body(personal__amka=amka, personal__last_name="Ζαφειρίου")
    ).json()["entry_id"]
    request = open_request(api, person, "centre")
    api.client.get(f"/api/v1/tenants/sofades/beneficiaries/{person}", headers=api.headers("cw.sof.centre"))
    document = call(api, "coord.sof", "GET", f"/{person}/subject-access").json()
    assert document["beneficiary"]["state"]["sealed"]["personal"]["amka"] == amka
    assert [e["id"] for e in document["entries"]] == [request]
    assert {row["entry_id"] for row in document["read_models"]["view_case_index"]} == {person, request}
    assert document["read_models"]["view_people"][0]["beneficiary_id"] == person
    assert [(a["by"], a["endpoint"]) for a in document["accessed_by"]] == [
        ("cw.sof.centre", "GET /beneficiaries/{id}"),
        ("coord.sof", "subject-access"),
    ]
    pdf = call(api, "coord.sof", "GET", f"/{person}/subject-access", params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "δεδομένα ωφελούμενου/ης" in text
    assert "Ζαφειρίου" in text
