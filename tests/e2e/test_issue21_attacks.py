"""Attacks on issue 21's ESF delivery and submissions over the API (esf-attack): what the participant
file tells the managing authority about the Roma branch, and inputs a determined caller sends."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from domain.identifiers import make_amka
from tests.e2e.conftest import Api, intake_body

SPRING_2023 = {"operation": "5002786", "from": "2023-03-01", "to": "2023-06-30"}


def report(api: Api, user: str, tenant: str = "sofades", **params: Any) -> Any:
    return api.client.get(f"/api/v1/tenants/{tenant}/esf/report", params=params, headers=api.headers(user))


def register(api: Api, serial: int, user: str = "coord.sof", **overrides: Any) -> str:
    body = intake_body(occurred_on="2023-04-03", personal__amka=make_amka(date(1979, 3, 4), serial), **overrides)
    response = api.post(user, "/beneficiaries", body)
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def test_the_operation_s_participant_file_does_not_tell_who_the_roma_branch_serves(api: Api) -> None:
    """A Roma-branch participant who refused the minority question: the managing authority's file of
    the whole operation says "refused" and nothing that tells the answer anyway (their structure is
    the Roma branch: ethnic origin, GDPR Art. 9). The centre's participant is in the file alike."""
    register(api, 11, structure="centre")
    register(
        api,
        12,
        user="cw.sof.roma",
        structure="roma-branch",
        special={"disability": "no", "minority": "refused", "other_disadvantage": "no"},
    )
    response = report(api, "coord.sof", format="csv", part="participants", **SPRING_2023)
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2
    assert "άρνηση" in {row["Μειονότητα (minority)"] for row in rows}
    assert "roma-branch" not in response.content.decode("utf-8-sig")
    as_json = report(api, "coord.sof", format="json", part="participants", **SPRING_2023)
    assert "roma-branch" not in as_json.text


def test_an_absurd_period_of_an_open_ended_operation_is_refused_before_anything_is_read(api: Api) -> None:
    """Karditsa's one operation has no end date: a period of eight thousand years is refused (the
    twelve-year limit), not computed."""
    response = report(
        api, "coord.kar", tenant="karditsa", operation="2014-2020", **{"from": "0001-01-01", "to": "9999-12-31"}
    )
    assert response.status_code in (400, 422), response.text
    assert "twelve years" in response.text


def test_a_submission_s_figures_or_position_cannot_be_given_by_the_caller(api: Api) -> None:
    body = {"operation": "5002786", "from": "2023-01-01", "to": "2023-06-30", "position": 0, "figures": {"x": 1}}
    response = api.post("coord.sof", "/esf/submissions", body, key="sub-forged-1")
    assert response.status_code == 422, response.text


def test_a_submission_s_reference_is_bounded(api: Api) -> None:
    body = {"operation": "5002786", "from": "2023-01-01", "to": "2023-06-30", "reference": "Α" * 10_000}
    response = api.post("coord.sof", "/esf/submissions", body, key="sub-long-1")
    assert response.status_code in (413, 422), response.text


def test_a_period_straddling_sofades_two_operations_is_refused_for_either(api: Api) -> None:
    straddling = {"from": "2023-07-01", "to": "2024-06-30"}
    for operation in ("5002786", "2021-2027"):
        response = report(api, "coord.sof", operation=operation, **straddling)
        assert response.status_code in (400, 422), response.text
        assert "not wholly inside operation" in response.text
        submitted = api.post(
            "coord.sof", "/esf/submissions", {"operation": operation, **straddling}, key=f"s-{operation}"
        )
        assert submitted.status_code in (400, 422), submitted.text


def test_another_tenant_s_coordinator_and_the_other_structure_s_caseworker_get_no_submission(api: Api) -> None:
    body = {"operation": "5002786", "from": "2023-01-01", "to": "2023-06-30", "submitted_on": "2023-07-05"}
    created = api.post("coord.sof", "/esf/submissions", body, key="sub-walk-1")
    assert created.status_code == 201, created.text
    path = f"/api/v1/tenants/sofades/esf/submissions/{created.json()['id']}"
    for user in ("coord.kar", "cw.sof.roma", "cw.sof.centre", "analyst.thessaly", "auditor.pyl"):
        response = api.client.get(path, headers=api.headers(user))
        assert response.status_code in (403, 404), (user, response.text)
        assert "5002786" not in response.text
    other = api.client.get(
        f"/api/v1/tenants/karditsa/esf/submissions/{created.json()['id']}", headers=api.headers("coord.kar")
    )
    assert other.status_code == 404, other.text
