"""The import over the API: a coordinator uploads, a job imports, its status and report are fetched."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Api
from tests.integration.test_import import BENEFICIARIES, REQUESTS
from tests.integration.test_import_limits import with_shared_strings
from tests.integration.test_jobs import backdate

IMPORTS = "/api/v1/tenants/sofades/imports"


def upload(api: Api, user: str, content: bytes, name: str = "people.csv", **form: Any) -> Any:
    return api.client.post(IMPORTS, headers=api.headers(user), files={"file": (name, content, "text/csv")}, data=form)


def finished(api: Api, job: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = api.client.get(f"{IMPORTS}/{job}", headers=api.headers("coord.sof")).json()
        if status["status"] in ("done", "failed"):
            return dict(status)
        time.sleep(0.1)
    raise AssertionError("the import job did not finish")


def as_csv(table: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    return buffer.getvalue().encode()


def test_a_coordinator_uploads_a_file_and_fetches_the_jobs_status_and_report(api: Api) -> None:
    checked = upload(api, "coord.sof", as_csv(BENEFICIARIES), dry_run="true")
    assert checked.status_code == 202, checked.text
    dry = finished(api, checked.json()["id"])
    assert (dry["status"], dry["summary"]["recorded"], dry["summary"]["rejected"]) == ("done", 2, 1)
    people = api.client.get(
        "/api/v1/tenants/sofades/beneficiaries", headers=api.headers("coord.sof"), params={"amka": BENEFICIARIES[1][6]}
    ).json()
    assert people == []  # a dry run records nothing

    job = upload(api, "coord.sof", as_csv(BENEFICIARIES)).json()
    done = finished(api, job["id"])
    assert (done["status"], done["kind"], done["summary"]["recorded"]) == ("done", "beneficiaries", 2)
    report = api.client.get(f"{IMPORTS}/{job['id']}/report", headers=api.headers("coord.sof"))
    assert report.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines[1][:3] == ["people.csv", "4", "occurred_on"]
    again = finished(api, upload(api, "coord.sof", as_csv(BENEFICIARIES)).json()["id"])
    assert (again["summary"]["recorded"], again["summary"]["unchanged"]) == (0, 2)


def test_only_the_coordinator_imports_and_bad_uploads_are_refused(api: Api) -> None:
    for user in ("cw.sof.centre", "auditor.sof", "analyst.thessaly", "coord.kar"):
        assert upload(api, user, as_csv(BENEFICIARIES)).status_code == 403, user
    assert upload(api, "coord.sof", b"x", name="people.pdf").status_code == 422
    assert upload(api, "coord.sof", as_csv(BENEFICIARIES), kind="lottery").status_code == 422
    unknown = api.client.get(f"{IMPORTS}/{'0' * 32}", headers=api.headers("coord.sof"))
    assert unknown.status_code == 404
    failed = finished(api, upload(api, "coord.sof", b"just,some,columns\n1,2,3\n").json()["id"])
    assert failed["status"] == "failed"
    assert "cannot tell the kind" in failed["error"]


def test_an_upload_that_unpacks_past_the_limits_is_refused_with_a_problem_and_starts_no_job(
    api: Api, tmp_path: Path
) -> None:
    bomb = tmp_path / "people.xlsx"
    with_shared_strings(bomb, BENEFICIARIES, 54 * 1024 * 1024)
    jobs = api.kentra.jobs.of_tenant("sofades")
    refused = upload(api, "coord.sof", bomb.read_bytes(), name="people.xlsx")
    assert refused.status_code == 413, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "nothing was imported" in refused.json()["detail"]
    assert api.kentra.jobs.of_tenant("sofades") == jobs


def test_an_import_report_masks_amka_and_is_deleted_after_the_retention_time(api: Api) -> None:
    unknown = REQUESTS[1][1]  # nobody holds it in this tenant yet
    job = upload(
        api, "coord.sof", as_csv([REQUESTS[0], ["R-1", unknown, "gmi", "centre", "2019-04-01"]]), name="-r.csv"
    )
    done = finished(api, job.json()["id"])
    assert done["summary"]["rejected"] == 1, done
    report = api.client.get(f"{IMPORTS}/{done['id']}/report", headers=api.headers("coord.sof"))
    text = report.content.decode("utf-8-sig")
    assert unknown not in text
    assert unknown[-3:] in text
    assert "'-r.csv" in text  # the file's name is shown as text, not run as a formula
    backdate(api.kentra, done["id"], hours=api.kentra.settings.import_report_retention_hours + 1)
    gone = api.client.get(f"{IMPORTS}/{done['id']}/report", headers=api.headers("coord.sof"))
    assert gone.status_code == 404
    assert api.kentra.jobs.get(done["id"]) is None
    assert not api.kentra.jobs.has_file(done["id"], "report")


def test_an_upload_with_a_csv_cell_over_the_field_limit_is_refused_as_too_large(api: Api) -> None:
    long_note = [*BENEFICIARIES[1][:-1], "x" * (csv.field_size_limit() + 1)]
    jobs = api.kentra.jobs.of_tenant("sofades")
    refused = upload(api, "coord.sof", as_csv([BENEFICIARIES[0], long_note]))
    assert refused.status_code == 413, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert f"a cell in it is longer than {csv.field_size_limit():,} characters" in refused.json()["detail"]
    assert api.kentra.jobs.of_tenant("sofades") == jobs
