"""The auditor's API: replay as of a day, restatement, drill-down, chain, export, access and its log."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.identifiers import make_amka
from infra.stores import SqliteStorage
from projections.audit_export import ExportInvalidError, verify_lines
from projections.cells import flatten
from services.access import Principal, Role
from services.casework import read_log
from tests.e2e.conftest import PASSWORD, Api, intake_body
from tests.e2e.test_indicators_api import MAY, get, open_request, register

AUDIT = "/api/v1/tenants/sofades/audit"


class RecordingClock:
    """What the event library stamps as "recorded at": moved by the test, like days passing."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> RecordingClock:
    clock = RecordingClock(datetime(2024, 6, 10, 9, 0, tzinfo=UTC))
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", clock)
    return clock


def audit(api: Api, user: str, path: str, **params: Any) -> Any:
    return api.client.get(AUDIT + path, params=params, headers=api.headers(user))


def live_indicators(api: Api) -> dict[str, Any]:
    doc = get(api, "coord.sof", "/indicators", **MAY).json()
    doc.pop("tenant")
    doc.pop("households_served")  # issue 23: sized now, so not a figure an as-of replay reproduces
    return dict(doc)


def correct(api: Api, entry: str, action: str, **body: Any) -> None:
    response = api.client.post(
        f"/api/v1/tenants/sofades/corrections?action={action}",
        headers=api.headers("coord.sof"),
        json={"entry_id": entry, **body},
    )
    assert response.status_code == 201, response.text


def test_a_figure_is_reproduced_as_reported_that_day_after_later_corrections(
    api: Api, recorded: RecordingClock
) -> None:
    her = register(api, "female", "centre", 1)
    him = register(api, "male", "roma-branch", 2)
    hers, his = open_request(api, her, "centre"), open_request(api, him, "roma-branch")
    reported = live_indicators(api)  # what the centre published on 10 June

    recorded.moment = datetime(2024, 6, 20, 9, 0, tzinfo=UTC)  # ten days later: corrections and a late entry
    correct(api, his, "amend", reason="typing_error", changes={"category": "housing_benefit"})
    correct(api, hers, "void", reason="duplicate_entry")
    late = api.post("coord.sof", "/beneficiaries", intake_body(personal__amka=make_amka(date(1980, 1, 1), 3)))
    now = live_indicators(api)
    assert now != reported

    as_reported = audit(api, "auditor.sof", "/indicators", basis="recorded", as_of="2024-06-10", **MAY).json()
    assert as_reported["indicators"] == reported
    as_known = audit(api, "auditor.sof", "/indicators", basis="occurred", as_of="2024-06-10", **MAY).json()
    assert as_known["indicators"] == now

    changes = {c["cell"]: c for c in as_known["restatement"]["changes"]}
    before, after = flatten(reported), flatten(now)
    assert set(changes) == {c for c in set(before) | set(after) if before.get(c, 0) != after.get(c, 0)}
    gmi = changes["requests/category:gmi/total"]
    assert (gmi["as_reported"], gmi["now"], gmi["difference"]) == (2, 0, -2)
    assert {(e["entry"], e["event"]) for e in gmi["events"]} >= {
        (his, "CaseEntry.Amended"),
        (hers, "CaseEntry.Voided"),
    }
    assert all(e["recorded_at"] > "2024-06-10T20:59:59" for c in changes.values() for e in c["events"])
    new_women = changes["new_beneficiaries/total/female"]
    late_person = late.json()["entry_id"]
    assert [e["event"] for e in new_women["events"]] == ["Beneficiary.Registered"]
    assert new_women["events"][0]["entry"].startswith("pseudonym:")  # a person, so not by id
    assert late_person not in str(as_known)


def test_every_cell_drills_down_to_as_many_entries_or_people_as_its_figure(api: Api) -> None:
    people = [register(api, g, s, n) for n, (g, s) in enumerate([("female", "centre"), ("male", "roma-branch")])]
    for person, category in zip(people * 2, ["gmi", "food_aid_teba", "gmi", "housing_benefit"], strict=True):
        open_request(api, person, "centre", category)
    cells = flatten(audit(api, "auditor.sof", "/indicators", **MAY).json()["indicators"])
    nonzero = {cell: value for cell, value in cells.items() if value}
    assert len(nonzero) >= 20
    for cell, value in cells.items():
        found = audit(api, "auditor.sof", "/drilldown", cell=cell, **MAY).json()
        assert found["value"] == value, cell
        counted = found["people"] if cell.startswith(("served", "new_", "beneficiaries_")) else found["entries"]
        assert len(counted) == value, cell
    gmi = audit(api, "auditor.sof", "/drilldown", cell="requests/category:gmi/total", **MAY).json()
    assert len(gmi["entries"]) == 2
    assert {e["event"] for e in gmi["events"]} == {"CaseRequest.Opened", "Beneficiary.Registered"}
    assert all(p.startswith("pseudonym:") for p in gmi["people"])
    assert not set(people) & set(str(gmi).split("'"))
    assert all(e["structure"] and e["occurred_on"] and e["position"] for e in gmi["events"])


def test_an_auditor_cleared_for_personal_data_sees_who_and_each_look_is_logged(api: Api) -> None:
    person = register(api, "female", "centre", 7)
    open_request(api, person, "centre")
    cell = {"cell": "served/2024-05/female", **MAY}
    refused = audit(api, "auditor.sof", "/drilldown", reveal="true", **cell)
    assert refused.status_code == 422
    api.kentra.accounts.add(
        Principal("auditor.sof.pd", Role.AUDITOR, frozenset({"sofades"}), personal_data=True), PASSWORD
    )
    shown = audit(api, "auditor.sof.pd", "/drilldown", reveal="true", **cell).json()
    assert shown["people"] == [person]
    assert shown["people_details"][0]["amka"] == make_amka(date(1979, 3, 4), 7)
    hidden = audit(api, "auditor.sof.pd", "/drilldown", **cell).json()  # without reveal: pseudonyms
    assert hidden["people"][0].startswith("pseudonym:")
    log = [e for e in read_log(api.kentra.casework("sofades")) if type(e).__qualname__ == "PersonalDataAccess.Recorded"]
    assert [(e.accessed_by, e.beneficiary_id) for e in log if e.accessed_by.startswith("auditor")] == [
        ("auditor.sof.pd", UUID(person))
    ]


def test_only_the_tenants_auditors_may_audit_and_every_query_is_recorded(api: Api) -> None:
    register(api, "female", "centre", 9)
    for user in ("coord.sof", "cw.sof.centre", "analyst.thessaly", "admin", "auditor.pyl"):
        assert audit(api, user, "/chain").status_code == 403, user
        assert audit(api, user, "/indicators", **MAY).status_code == 403, user
    assert audit(api, "auditor.sof", "/chain").json()["ok"] is True
    assert audit(api, "auditor.sof", "/indicators", **MAY).status_code == 200
    assert audit(api, "auditor.sof", "/drilldown", cell="requests/total/total", **MAY).status_code == 200
    bad = audit(api, "auditor.sof", "/drilldown", cell="requests/lottery/total", **MAY)
    assert bad.status_code == 422
    assert "unknown cell" in bad.json()["detail"]
    assert audit(api, "auditor.sof", "/drilldown", cell="served/period/total", reveal="true", **MAY).status_code == 422
    asked = [
        (e.asked_by, e.endpoint, e.parameters.get("cell"))
        for e in read_log(api.kentra.casework("sofades"))
        if type(e).__qualname__ == "AuditQuery.Asked"
    ]
    assert asked == [
        ("auditor.sof", "GET /audit/chain", None),
        ("auditor.sof", "GET /audit/indicators", None),
        ("auditor.sof", "GET /audit/drilldown", "requests/total/total"),
        ("auditor.sof", "GET /audit/drilldown", "requests/lottery/total"),
        ("auditor.sof", "GET /audit/drilldown", "served/period/total"),  # a refused look is recorded too
    ]


def test_the_export_over_the_api_verifies_offline_with_the_published_key(api: Api) -> None:
    open_request(api, register(api, "male", "centre", 11), "centre")
    chain = audit(api, "auditor.sof", "/chain").json()
    response = audit(api, "auditor.sof", "/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    verdict = verify_lines(response.text.splitlines(), chain["public_key"])
    assert verdict["ok"] is True
    assert verdict["events"] >= 4
    altered = response.text.replace('"version": 1', '"version": 2', 1).splitlines()
    with pytest.raises(ExportInvalidError, match="altered"):
        verify_lines(altered, chain["public_key"])


def test_the_auditors_replay_and_drilldown_answer_past_a_forged_row_that_does_not_decode(api: Api) -> None:
    """The tenant's file holder inserts a row that is not JSON: the replay over the API skips it, no 500."""
    person = register(api, "female", "centre", 1)
    open_request(api, person, "centre")
    cell = "requests/category:gmi/total"
    before = audit(api, "auditor.sof", "/drilldown", cell=cell, **MAY).json()["value"]
    storage = api.kentra.storage("sofades")
    assert isinstance(storage, SqliteStorage)
    with sqlite3.connect(storage.events_file) as conn:
        conn.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
            (uuid4().hex, "domain.requests:CaseRequest.Opened", b"not what Kentra writes"),
        )
    open_request(api, person, "centre")  # genuine work after the forged row
    replayed = audit(api, "auditor.sof", "/indicators", **MAY)
    assert replayed.status_code == 200, replayed.text
    found = audit(api, "auditor.sof", "/drilldown", cell=cell, **MAY)
    assert found.status_code == 200, found.text
    assert found.json()["value"] == before + 1


# Found by the issue 19 review (it failed on the merged refactor, passed before it).
def test_a_cleared_auditor_reveals_a_person_registered_without_an_amka(api: Api) -> None:
    body = intake_body(personal__amka=None, profile__gender="female")
    response = api.post("coord.sof", "/beneficiaries", body)
    assert response.status_code == 201, response.text
    person = str(response.json()["entry_id"])
    api.kentra.accounts.add(
        Principal("auditor.sof.pd", Role.AUDITOR, frozenset({"sofades"}), personal_data=True), PASSWORD
    )
    shown = audit(api, "auditor.sof.pd", "/drilldown", reveal="true", cell="served/2024-05/female", **MAY)
    assert shown.status_code == 200, shown.text
    details = shown.json()["people_details"]
    assert [(d["id"], d["amka"]) for d in details] == [(person, None)]
