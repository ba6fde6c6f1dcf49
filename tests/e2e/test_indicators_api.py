"""Caseload, indicators (JSON, CSV, XLSX), ESF indicators and projection lag over the API."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import load_workbook

from domain.identifiers import make_amka
from tests.e2e.conftest import Api, intake_body

MAY = {"from": "2024-05-01", "to": "2024-05-31"}


def get(api: Api, user: str, path: str, **params: Any) -> Any:
    return api.client.get(f"/api/v1/tenants/sofades{path}", params=params, headers=api.headers(user))


def register(api: Api, gender: str, structure: str, serial: int, disability: str = "no") -> str:
    body = intake_body(
        profile__gender=gender,
        structure=structure,
        special__disability=disability,
        personal__amka=make_amka(date(1979, 3, 4), serial),
    )
    response = api.post("coord.sof", "/beneficiaries", body)
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def open_request(api: Api, person: str, structure: str, category: str = "gmi") -> str:
    return str(
        api.post(
            "coord.sof",
            "/requests",
            {"beneficiary_id": person, "category": category, "structure": structure, "occurred_on": "2024-05-06"},
        ).json()["entry_id"]
    )


def test_amended_and_voided_entries_move_the_indicators(api: Api) -> None:
    her = register(api, "female", "centre", 1)
    him = register(api, "male", "roma-branch", 2)
    hers, his = open_request(api, her, "centre"), open_request(api, him, "roma-branch")
    doc = get(api, "coord.sof", "/indicators", **MAY).json()
    assert doc["beneficiaries_served"]["period"] | {} == {
        "female": 1,
        "male": 1,
        "non_binary": 0,
        "unknown": 0,
        "total": 2,
    }
    assert doc["requests"]["by_category"] == [{"category": "gmi", "total": 2}]
    assert [(s["structure"], s["female"], s["male"]) for s in doc["requests"]["by_structure_and_gender"]] == [
        ("centre", 1, 0),
        ("roma-branch", 0, 1),
    ]

    api.post(
        "coord.sof",
        "/corrections",
        {"entry_id": hers, "reason": "typing_error", "changes": {"category": "housing_benefit"}},
    )
    doc = get(api, "coord.sof", "/indicators", **MAY).json()
    assert doc["requests"]["by_category"] == [
        {"category": "gmi", "total": 1},
        {"category": "housing_benefit", "total": 1},
    ]
    api.client.post(
        "/api/v1/tenants/sofades/corrections?action=void",
        headers=api.headers("coord.sof"),
        json={"entry_id": his, "reason": "duplicate_entry"},
    )
    api.client.post(
        "/api/v1/tenants/sofades/corrections?action=void",
        headers=api.headers("coord.sof"),
        json={"entry_id": him, "reason": "wrong_person"},
    )
    doc = get(api, "coord.sof", "/indicators", **MAY).json()
    assert doc["requests"]["total"] == 1
    assert doc["beneficiaries_served"]["period"]["total"] == 1
    assert doc["new_beneficiaries"]["male"] == 0
    roma = get(api, "coord.sof", "/indicators", structure="roma-branch", **MAY).json()
    assert roma["requests"]["total"] == 0


def test_indicators_download_as_csv_and_xlsx_with_greek_headings(api: Api) -> None:
    open_request(api, register(api, "female", "centre", 3), "centre")
    csv = get(api, "coord.sof", "/indicators", format="csv", **MAY)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("ενότητα,section,κλειδί,Γυναίκες,Άνδρες")
    assert "Μοναδικοί ωφελούμενοι ανά μήνα,beneficiaries_served_per_month,2024-05,1,0,0,0,1" in csv.text
    xlsx = get(api, "coord.sof", "/indicators", format="xlsx", **MAY)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet["A1"].value == "Δήμος Σοφάδων: δείκτες Κέντρου Κοινότητας"
    assert [c.value for c in sheet[4]][:4] == ["ενότητα", "section", "κλειδί", "Γυναίκες"]


def test_esf_indicators_count_refusals_as_refusals(api: Api) -> None:
    register(api, "female", "centre", 4, disability="refused")
    register(api, "male", "centre", 5, disability="yes")
    doc = get(api, "coord.sof", "/esf-indicators", programme="2021-2027", **MAY).json()
    codes = {row["code"]: row for row in doc["indicators"]}
    assert codes["EECO01"]["total"] == 2
    assert (codes["EECO12"]["male"], codes["EECO12"]["female"]) == (1, 0)
    assert codes["EECO12"]["refused"]["female"] == 1
    # Sofades's 2014-2020 operation ended on 2023-12-31: May 2024 is not a period of it (issue 21).
    old = get(api, "coord.sof", "/esf-indicators", programme="2014-2020", **MAY)
    assert old.status_code == 422
    assert "2023-12-31" in old.json()["detail"]


def test_caseload_shows_open_work_and_the_lag_is_visible(api: Api) -> None:
    person = register(api, "female", "centre", 6)
    open_request(api, person, "centre")
    api.post(
        "coord.sof",
        "/referrals",
        {"beneficiary_id": person, "destination": "opeka", "structure": "centre", "occurred_on": "2024-06-01"},
    )
    lag = get(api, "coord.sof", "/projections").json()["casework_views"]
    assert lag["events_behind"] > 0
    load = get(api, "coord.sof", "/caseload").json()["caseload"]
    assert len(load) == 1
    assert (load[0]["structure"], load[0]["caseworker"]) == ("centre", "coord.sof")
    assert load[0]["open_requests_by_age_days"]["31-90"] == 1  # opened 2024-05-06, today 2024-06-28
    assert load[0]["referrals_awaiting_answer"] == 1
    assert get(api, "coord.sof", "/projections").json()["casework_views"]["events_behind"] == 0


def test_indicators_are_refused_to_outsiders_and_bad_periods_named(api: Api) -> None:
    for user in ("analyst.thessaly", "admin", "coord.kar"):
        assert get(api, user, "/indicators", **MAY).status_code == 403
    backwards = get(api, "coord.sof", "/indicators", **{"from": "2024-05-31", "to": "2024-05-01"})
    assert backwards.status_code == 422
    assert backwards.json()["field"] == "to"
    register(api, "female", "centre", 7)
    assert get(api, "cw.sof.roma", "/indicators", **MAY).json()["new_beneficiaries"]["total"] == 0
    assert get(api, "cw.sof.centre", "/indicators", **MAY).json()["new_beneficiaries"]["total"] == 1


def test_a_twelve_year_period_ending_at_the_calendars_last_day_is_answered_not_a_server_error(api: Api) -> None:
    register(api, "female", "centre", 91)
    response = get(api, "coord.sof", "/indicators", **{"from": "9990-02-01", "to": "9999-12-31"})
    assert response.status_code == 200, response.text
    assert response.json()["requests"]["per_month"][-1] == {"month": "9999-12", "total": 0}
