"""Regional dashboards over the API: the analyst's own region only, small cells suppressed."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from domain.identifiers import make_amka
from tests.e2e.conftest import Api, intake_body
from tests.e2e.test_web import sign_in

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


def table_rows(html: str, table: str) -> list[list[str]]:
    """One table of the regional page: each row's cells, a hidden one as its symbol."""
    body = html.split(f'data-table="{table}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells])
    return rows


def page_rows(html: str) -> list[list[str]]:
    """People served by gender, then the requests and referrals of the «work» table, row by row."""
    work = table_rows(html, "work")
    return [served + work[n][:2] for n, served in enumerate(table_rows(html, "served"))]


def api_rows(doc: dict[str, Any]) -> list[list[str]]:
    rows = []
    for figures in [*(m["indicators"] for m in doc["municipalities"]), doc["consolidated"]]:
        served = figures["beneficiaries_served"]
        values = [served[g] for g in ("female", "male", "non_binary", "unknown", "total")]
        values += [figures["requests"]["total"], figures["referrals"]["total"]]
        rows.append(["χ" if v is None else str(v) for v in values])
    return rows


def test_the_regional_page_and_the_api_hide_the_same_cells_with_the_same_symbol(api: Api) -> None:
    genders = ["female"] * 7 + ["male"] * 6 + ["non_binary"]  # one non-binary person: hidden with what reveals it
    for n, gender in enumerate(genders):
        body = intake_body(profile__gender=gender, personal__amka=make_amka(date(1971, 2, 3), n))
        assert api.post("coord.sof", "/beneficiaries", body).status_code == 201
    for n in range(8):
        body = intake_body(profile__gender="female", personal__amka=make_amka(date(1972, 2, 3), n))
        response = api.client.post(
            "/api/v1/tenants/karditsa/beneficiaries", json=body, headers=api.headers("coord.kar")
        )
        assert response.status_code == 201, response.text
    sign_in(api, "analyst.thessaly")
    for period in ("2024", "2024-H1", "2024-Q2", "2024-05"):
        answer = api.client.get(
            "/api/v1/regions/thessaly/indicators", params={"period": period}, headers=api.headers("analyst.thessaly")
        )
        assert answer.status_code == 200, answer.text
        doc = answer.json()
        page = api.client.get("/r/thessaly/dashboard", params={"period": period})
        assert page.status_code == 200
        assert page_rows(page.text) == api_rows(doc), period
        assert "χ" in {cell for row in api_rows(doc) for cell in row}, period
        sofades = doc["municipalities"][0]["indicators"]["beneficiaries_served"]
        assert sofades["non_binary"] is None
        assert "non_binary" in sofades["suppressed"]
        assert "<5" not in answer.text
        assert "&lt;5" not in page.text


def test_a_region_reads_fixed_reporting_periods_only(api: Api) -> None:
    headers = api.headers("analyst.thessaly")
    url = "/api/v1/regions/thessaly/indicators"
    for params in ({"from": "2024-05-02", "to": "2024-05-31"}, {"period": "2024-05-02"}, {"period": "2024-Q5"}, {}):
        response = api.client.get(url, params=params, headers=headers)
        assert response.status_code == 422, params
        assert "2022-Q3" in response.text or "period" in response.text
    same = [api.client.get(url, params=p, headers=headers).json() for p in ({"period": "2024-05"}, MAY)]
    assert same[0] == same[1]  # the exact span of a fixed period names that period
    assert same[0]["period"] == "2024-05"


@pytest.mark.parametrize("shared", [5, 1])
def test_people_served_in_two_municipalities_count_once_region_wide_and_twice_in_the_esf_sum(
    api: Api, shared: int
) -> None:
    def intake(tenant: str, user: str, amka: str) -> None:
        body = intake_body(profile__gender="female", personal__amka=amka)
        response = api.client.post(f"/api/v1/tenants/{tenant}/beneficiaries", json=body, headers=api.headers(user))
        assert response.status_code == 201, response.text

    amkas = [make_amka(date(1966, 6, 6), n) for n in range(8)]
    for amka in amkas:
        intake("sofades", "coord.sof", amka)
    for n, amka in enumerate(amkas):  # the first `shared` are the same people; the others are not
        intake("karditsa", "coord.kar", amka if n < shared else make_amka(date(1967, 7, 7), n))
    response = api.client.get(
        "/api/v1/regions/thessaly/indicators", params={"period": "2024-05"}, headers=api.headers("analyst.thessaly")
    )
    assert response.status_code == 200, response.text
    consolidated = response.json()["consolidated"]
    assert consolidated["beneficiaries_served"]["total"] == 16  # the ESF sum by operation: 8 + 8
    if shared >= 5:
        assert consolidated["people_served_region_wide"] == {"distinct": 16 - shared}  # each shared person once
    else:  # 16 - 15 would say that one person was served in both: hidden
        assert consolidated["people_served_region_wide"] == {"distinct": None, "suppressed": ["distinct"]}
    assert not any(amka in response.text for amka in amkas)
