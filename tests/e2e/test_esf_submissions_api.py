"""ESF submissions over the API (issue 21): a coordinator submits, a correction restates the
submission, the restatement names the cells and events; everyone else is refused and records nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.identifiers import make_amka
from tests.e2e.conftest import Api, intake_body

SUBMISSION = {"operation": "5002786", "from": "2022-07-01", "to": "2022-12-31", "submitted_on": "2023-01-20"}


def _intake(api: Api, day: str, serial: int, **profile: Any) -> str:
    body = intake_body(occurred_on=day, personal__amka=make_amka(date(1979, 3, 4), serial))
    body["profile"].update(profile)
    answer = api.post("cw.sof.centre", "/beneficiaries", body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["entry_id"])


def _head(api: Api) -> int:
    return api.kentra.casework("sofades").recorder.max_notification_id() or 0


def test_a_coordinator_submits_a_correction_restates_it_and_the_auditor_reads_which_cells_and_why(api: Api) -> None:
    woman = _intake(api, "2022-08-10", 301, gender="female", employment_status="long_term_unemployed")
    first = api.post("coord.sof", "/esf/submissions", SUBMISSION, key="esf-sub-1")
    assert first.status_code == 201, first.text
    submission_id = first.json()["id"]
    again = api.post("coord.sof", "/esf/submissions", SUBMISSION, key="esf-sub-1")
    assert (again.status_code, again.json()["id"], again.headers["Idempotent-Replayed"]) == (200, submission_id, "true")
    reused = api.post("coord.sof", "/esf/submissions", {**SUBMISSION, "reference": "x"}, key="esf-sub-1")
    assert reused.status_code == 409, reused.text

    listed = api.client.get("/api/v1/tenants/sofades/esf/submissions", headers=api.headers("auditor.sof"))
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()["submissions"]
    assert (row["holds"], row["mis_code"], row["from"]) == (True, "5002786", "2022-07-01")

    correction = {
        "entry_id": woman,
        "changes": {"profile": {"employment_status": "employed"}},
        "reason": "typing_error",
    }
    corrected = api.post("coord.sof", "/corrections", correction)
    assert corrected.status_code == 201, corrected.text
    (warning,) = corrected.json()["warnings"]
    assert (warning["submission_id"], warning["mis_code"], warning["from"]) == (submission_id, "5002786", "2022-07-01")

    path = f"/api/v1/tenants/sofades/esf/submissions/{submission_id}"
    report = api.client.get(path, headers=api.headers("auditor.sof"))
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["holds"] is False
    changes = {c["cell"]: c for c in body["changes"]}
    assert (changes["esf-2014-2020/CO02/female"]["as_submitted"], changes["esf-2014-2020/CO02/female"]["now"]) == (1, 0)
    (event,) = changes["esf-2014-2020/CO02/female"]["events"]
    assert event["reason"] == "typing_error"
    assert event["entry"].startswith("pseudonym:")  # never the person's own id
    assert woman not in report.text


def test_a_correction_of_an_unsubmitted_period_answers_no_warning(api: Api) -> None:
    person = _intake(api, "2023-03-01", 302)
    api.post("coord.sof", "/esf/submissions", SUBMISSION, key="esf-sub-2")
    correction = {"entry_id": person, "changes": {"profile": {"isced_level": 3}}, "reason": "typing_error"}
    corrected = api.post("coord.sof", "/corrections", correction)
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["warnings"] == []


def test_only_a_coordinator_of_the_tenant_submits_and_a_refusal_records_nothing(api: Api) -> None:
    _intake(api, "2022-08-10", 303)
    for user in ("cw.sof.centre", "analyst.thessaly", "auditor.sof", "coord.kar", "admin"):
        head = _head(api)
        answer = api.post(user, "/esf/submissions", SUBMISSION, key=f"esf-{user}")
        assert answer.status_code in (403, 404), (user, answer.text)
        assert _head(api) == head, user


def test_only_the_tenants_coordinators_and_auditors_read_its_submissions(api: Api) -> None:
    _intake(api, "2022-08-10", 304)
    submission_id = api.post("coord.sof", "/esf/submissions", SUBMISSION, key="esf-sub-3").json()["id"]
    for user in ("cw.sof.centre", "cw.sof.roma", "analyst.thessaly", "coord.kar", "auditor.pyl", "admin"):
        for path in ("/esf/submissions", f"/esf/submissions/{submission_id}"):
            answer = api.client.get(f"/api/v1/tenants/sofades{path}", headers=api.headers(user))
            assert answer.status_code in (403, 404), (user, path, answer.text)
            assert "5002786" not in answer.text
    mine = api.client.get("/api/v1/tenants/sofades/esf/submissions", headers=api.headers("coord.sof"))
    assert mine.status_code == 200


def test_an_unknown_submission_is_not_found(api: Api) -> None:
    path = "/api/v1/tenants/sofades/esf/submissions/0b0e0c5e-1111-4111-8111-000000000000"
    assert api.client.get(path, headers=api.headers("coord.sof")).status_code == 404


def test_an_exit_correction_warns_and_restates_the_result_cells_it_moved(api: Api) -> None:
    person = _intake(api, "2023-02-01", 305, gender="female", employment_status="long_term_unemployed")
    leaving = {
        "job_searching": True,
        "in_education_or_training": False,
        "qualification_gained": False,
        "employed": False,
    }
    left = api.post(
        "cw.sof.centre", f"/beneficiaries/{person}/operation-exits", {"occurred_on": "2023-05-31", "status": leaving}
    )
    assert left.status_code == 201, left.text
    terms = {"operation": "5002786", "from": "2023-01-01", "to": "2023-06-30", "submitted_on": "2023-07-10"}
    submission_id = api.post("coord.sof", "/esf/submissions", terms, key="esf-sub-exit").json()["id"]
    employed = {**leaving, "job_searching": False, "employed": True}
    body = {"operation": "2014-2020", "record": "exit", "changes": {"status": employed}, "reason": "typing_error"}
    corrected = api.post("coord.sof", f"/beneficiaries/{person}/operation-corrections", body)
    assert corrected.status_code == 201, corrected.text
    (warning,) = corrected.json()["warnings"]
    assert warning["submission_id"] == submission_id
    report = api.client.get(
        f"/api/v1/tenants/sofades/esf/submissions/{submission_id}", headers=api.headers("coord.sof")
    )
    changes = {c["cell"]: c for c in report.json()["changes"]}
    assert (changes["esf-2014-2020/CR04/female"]["as_submitted"], changes["esf-2014-2020/CR04/female"]["now"]) == (0, 1)
    (event,) = changes["esf-2014-2020/CR04/female"]["events"]
    assert (event["event"].rsplit(".", 1)[-1], event["reason"]) == ("OperationRecordCorrected", "typing_error")
