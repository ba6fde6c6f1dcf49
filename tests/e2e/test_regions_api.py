"""Regional dashboards over the API: the analyst's own region only, small cells suppressed."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.identifiers import make_amka
from tests.e2e.conftest import Api, intake_body

MAY = {"from": "2024-05-01", "to": "2024-05-31"}


def regional(api: Api, user: str, region: str) -> Any:
    return api.client.get(f"/api/v1/regions/{region}/indicators", params=MAY, headers=api.headers(user))


def test_an_analyst_sees_her_regions_municipalities_with_small_cells_suppressed(api: Api) -> None:
    for n, gender in enumerate(["female"] * 2 + ["male"] * 7):
        body = intake_body(profile__gender=gender, personal__amka=make_amka(date(1970, 1, 1), n))
        assert api.post("coord.sof", "/beneficiaries", body).status_code == 201
    response = regional(api, "analyst.thessaly", "thessaly")
    assert response.status_code == 200, response.text
    doc = response.json()
    assert [m["tenant"] for m in doc["municipalities"]] == ["sofades", "karditsa"]  # the provisioned ones
    sofades = doc["municipalities"][0]["indicators"]
    assert sofades["new_beneficiaries"] == {
        "female": None,
        "male": None,
        "non_binary": 0,
        "unknown": 0,
        "total": 9,
        "suppressed": ["female", "male"],
    }
    assert doc["consolidated"]["new_beneficiaries"]["total"] == 9
    assert "Τσιουρβαλή" not in response.text
    lag = api.client.get("/api/v1/regions/thessaly/lag", headers=api.headers("analyst.thessaly")).json()
    assert lag["municipalities"]["sofades"]["events"] >= 9


def test_no_one_but_the_regions_analyst_reads_its_dashboard(api: Api) -> None:
    for user in ("analyst.cmac", "coord.sof", "auditor.sof", "admin", "cw.sof.centre"):
        response = regional(api, user, "thessaly")
        assert response.status_code == 403, user
        assert response.headers["content-type"] == "application/problem+json"
    assert regional(api, "analyst.cmac", "central-macedonia").status_code == 200
