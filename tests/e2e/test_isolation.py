"""Tenant, region and structure isolation: every endpoint, every outsider, refused and nothing leaked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from domain.identifiers import make_amka
from services.casework import read_log
from tests.e2e.conftest import Api, intake_body

AMKA = make_amka(date(1979, 3, 4), 4242)
SECRETS = ("Τσιουρβαλή", "Ευανθία", AMKA, "6912345678", "Καραϊσκάκη")


@dataclass
class Case:
    beneficiary: str
    request: str
    referral: str
    visit: str
    activity: str


@pytest.fixture
def case(api: Api) -> Case:
    """One of everything, recorded at the Sofades centre."""
    person = api.post("cw.sof.centre", "/beneficiaries", intake_body()).json()["entry_id"]
    on = {"beneficiary_id": person, "structure": "centre", "occurred_on": "2024-05-02"}
    return Case(
        beneficiary=person,
        request=api.post("cw.sof.centre", "/requests", {**on, "category": "gmi", "notes": "Καραϊσκάκη"}).json()[
            "entry_id"
        ],
        referral=api.post("cw.sof.centre", "/referrals", {**on, "destination": "opeka"}).json()["entry_id"],
        visit=api.post(
            "cw.sof.centre", "/home-visits", {**on, "purpose": "living_conditions", "follow_up_due": "2024-05-20"}
        ).json()["entry_id"],
        activity=api.post(
            "cw.sof.centre",
            "/activities",
            {
                "kind": "counselling_session",
                "structure": "centre",
                "occurred_on": "2024-05-02",
                "beneficiary_ids": [person],
            },
        ).json()["entry_id"],
    )


def endpoints(c: Case, tenant: str = "sofades") -> list[tuple[str, str, dict[str, Any] | None]]:
    t = f"/api/v1/tenants/{tenant}"
    on = {"beneficiary_id": c.beneficiary, "structure": "centre", "occurred_on": "2024-05-03"}
    step = {"occurred_on": "2024-05-04"}
    return [
        ("GET", f"{t}/beneficiaries?amka={AMKA}", None),
        ("GET", f"{t}/beneficiaries?name=Τσιουρβαλή", None),
        ("GET", f"{t}/beneficiaries/{c.beneficiary}", None),
        ("POST", f"{t}/beneficiaries", intake_body(personal__amka=make_amka(date(1980, 1, 1), 1))),
        ("GET", f"{t}/requests", None),
        ("GET", f"{t}/requests/{c.request}", None),
        ("POST", f"{t}/requests", {**on, "category": "gmi"}),
        ("POST", f"{t}/requests/{c.request}/progress", step),
        ("POST", f"{t}/requests/{c.request}/agency-status", {**step, "agency": "opeka", "status": "submitted"}),
        ("POST", f"{t}/requests/{c.request}/resolution", step),
        ("GET", f"{t}/referrals", None),
        ("GET", f"{t}/referrals/{c.referral}", None),
        ("POST", f"{t}/referrals", {**on, "destination": "dypa"}),
        ("POST", f"{t}/referrals/{c.referral}/acceptance", step),
        ("POST", f"{t}/referrals/{c.referral}/outcome", {**step, "outcome": "served"}),
        ("GET", f"{t}/home-visits", None),
        ("GET", f"{t}/home-visits/{c.visit}", None),
        ("POST", f"{t}/home-visits", {**on, "purpose": "homelessness"}),
        ("POST", f"{t}/home-visits/{c.visit}/follow-up", step),
        ("GET", f"{t}/activities", None),
        ("GET", f"{t}/activities/{c.activity}", None),
        (
            "POST",
            f"{t}/activities",
            {"kind": "networking_meeting", "structure": "centre", "occurred_on": "2024-05-03", "participants": 4},
        ),
        (
            "POST",
            f"{t}/corrections",
            {"entry_id": c.request, "reason": "typing_error", "changes": {"category": "housing_benefit"}},
        ),
    ]


def call(api: Api, user: str, method: str, path: str, body: dict[str, Any] | None) -> Any:
    return api.client.request(method, path, json=body, headers=api.headers(user))


OUTSIDERS = ["coord.kar", "analyst.thessaly", "analyst.cmac", "auditor.pyl", "admin"]


@pytest.mark.parametrize("user", OUTSIDERS)
def test_no_one_outside_the_tenant_reaches_its_casework(api: Api, case: Case, user: str) -> None:
    before = sum(1 for _ in read_log(api.kentra.casework("sofades")))
    for method, path, body in endpoints(case):
        response = call(api, user, method, path, body)
        assert response.status_code in (403, 404), (user, method, path, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
        assert not any(secret in response.text for secret in SECRETS), (user, path)
    assert sum(1 for _ in read_log(api.kentra.casework("sofades"))) == before


def test_ids_of_one_tenant_lead_nowhere_in_another(api: Api, case: Case) -> None:
    for method, path, body in endpoints(case, tenant="karditsa"):
        if "{" in path or not any(i in path + str(body) for i in vars(case).values()):
            continue
        response = call(api, "coord.kar", method, path, body)
        assert response.status_code == 404, (method, path, response.text)
        assert not any(secret in response.text for secret in SECRETS)


def test_a_caseworker_reaches_nothing_of_another_structure(api: Api, case: Case) -> None:
    for method, path, body in endpoints(case):
        response = call(api, "cw.sof.roma", method, path, body)
        if method == "GET" and response.status_code == 200:
            listed = response.json()
            items = listed["items"] if isinstance(listed, dict) else listed
            assert items == [], path  # lists and searches show her own structure only
            continue
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert not any(secret in response.text for secret in SECRETS), path


def test_an_auditor_reads_but_never_records(api: Api, case: Case) -> None:
    for method, path, body in endpoints(case):
        response = call(api, "auditor.sof", method, path, body)
        if method == "GET" and path.endswith(("?amka=" + AMKA, "?name=Τσιουρβαλή")):
            assert response.status_code == 403, path  # searching people is for those who see personal data
        elif method == "GET":
            assert response.status_code == 200, (path, response.text)
            assert not any(secret in response.text for secret in SECRETS), path
        else:
            assert response.status_code == 403, (path, response.status_code)


def test_insiders_reach_every_endpoint(api: Api, case: Case) -> None:
    """The matrix above would pass on an API that refuses everyone: this shows it does not."""
    for method, path, body in endpoints(case):
        response = call(api, "coord.sof", method, path, body)
        assert response.status_code in (200, 201), (method, path, response.text)
