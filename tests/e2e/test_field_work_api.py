"""Field work (issue 25) over the API, attacked: "take the day's visits" gives a caseworker her own people
and their open items only (nothing of another worker's, another structure's or another tenant's, nor of
an erased person, nothing to an auditor or a Region's analyst), with the few fields the forms need; the
device parameters are hers; the field app's shell, worker and manifest are served with the right types,
scope and policy and hold no personal data; and a visit synced late counts in the month it happened,
recorded at the centre when it arrived."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import update

from domain.access_log import PersonalDataAccess
from domain.identifiers import make_amka
from infra.accounts import users
from services.access import Principal, Role
from services.casework import read_log
from tests.e2e.conftest import PASSWORD, Api, intake_body
from tests.e2e.test_erasure_api import erase

TAKE = "/api/v1/tenants/sofades/field/take"
ENDPOINT = "GET /field/take"


def person(api: Api, worker: str, structure: str, serial: int, last_name: str) -> dict[str, str]:
    """A person recorded by ``worker`` (so hers), with an open request and a home visit whose follow-up is due."""
    body = intake_body(structure=structure, personal__last_name=last_name)
    body["personal"]["amka"] = make_amka(date.fromisoformat(body["personal"]["birth_date"]), serial)
    body["personal"]["notes"] = "Σημείωμα για τον φάκελο"

    def made(path: str, fields: dict[str, Any]) -> str:
        response = api.post(worker, path, fields)
        assert response.status_code == 201, response.text
        return str(response.json()["entry_id"])

    who = made("/beneficiaries", body)
    on = {"beneficiary_id": who, "structure": structure, "occurred_on": "2024-05-03"}
    return {
        "id": who,
        "amka": body["personal"]["amka"],
        "request": made("/requests", {**on, "category": "gmi", "notes": "Ιδιωτικό σημείωμα"}),
        "visit": made("/home-visits", {**on, "purpose": "living_conditions", "follow_up_due": "2024-06-20"}),
    }


def take(api: Api, user: str, path: str = TAKE) -> Any:
    return api.client.get(path, headers=api.headers(user))


def taken_ids(api: Api, user: str) -> tuple[set[str], set[str]]:
    answer = take(api, user)
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    return {p["id"] for p in doc["people"]}, {i["entry_id"] for i in doc["items"]}


@pytest.fixture
def colleague(api: Api) -> str:
    """A second caseworker of the same centre."""
    api.kentra.accounts.add(
        Principal("cw.sof.centre2", Role.CASEWORKER, frozenset({"sofades"}), structure="centre"), PASSWORD
    )
    return "cw.sof.centre2"


def test_a_caseworker_takes_her_own_people_with_the_fields_the_forms_need_and_nothing_more(api: Api) -> None:
    mine = person(api, "cw.sof.centre", "centre", 5101, "Δικηςμου")
    answer = take(api, "cw.sof.centre")
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    [taken] = doc["people"]
    assert taken["id"] == mine["id"]
    assert set(taken) == {"id", "version", "structure", "first_name", "last_name", "birth_date", "address", "phone"}
    assert taken["last_name"] == "Δικηςμου"
    text = answer.text
    for secret in (mine["amka"], "Σημείωμα για τον φάκελο", "Ιδιωτικό σημείωμα", "disability", "minority", "afm"):
        assert secret not in text
    items = {i["entry_id"]: i for i in doc["items"]}
    assert set(items) == {mine["request"], mine["visit"]}
    assert items[mine["request"]]["version"] == 1
    assert items[mine["visit"]]["follow_up_due"] == "2024-06-20"
    # Each person taken is a look at their personal data, in the tenant's log.
    log = read_log(api.kentra.casework("sofades"))
    looks = [e for e in log if isinstance(e, PersonalDataAccess.Recorded) and getattr(e, "endpoint", None) == ENDPOINT]
    assert [str(getattr(e, "beneficiary_id", None)) for e in looks] == [mine["id"]]


def test_another_worker_of_the_same_centre_takes_nothing_of_her_people(api: Api, colleague: str) -> None:
    mine = person(api, "cw.sof.centre", "centre", 5102, "Τηςαλλης")
    theirs = person(api, colleague, "centre", 5103, "Τουσυναδελφου")
    assert taken_ids(api, colleague) == ({theirs["id"]}, {theirs["request"], theirs["visit"]})
    assert taken_ids(api, "cw.sof.centre") == ({mine["id"]}, {mine["request"], mine["visit"]})


def test_a_case_given_to_another_worker_leaves_her_device_list_and_joins_theirs(api: Api, colleague: str) -> None:
    mine = person(api, "cw.sof.centre", "centre", 5104, "Δοθεισας")
    given = api.post(
        "coord.sof",
        f"/beneficiaries/{mine['id']}/assignment",
        {"worker": colleague, "reason": "Άδεια", "occurred_on": "2024-06-03"},
    )
    assert given.status_code == 201, given.text
    assert taken_ids(api, "cw.sof.centre") == (set(), set())
    assert taken_ids(api, colleague) == ({mine["id"]}, {mine["request"], mine["visit"]})


def test_the_other_structure_takes_nothing_of_the_centre_nor_the_centre_of_it(api: Api) -> None:
    centre = person(api, "cw.sof.centre", "centre", 5105, "Κεντρου")
    roma = person(api, "cw.sof.roma", "roma-branch", 5106, "Παραρτηματος")
    assert taken_ids(api, "cw.sof.roma") == ({roma["id"]}, {roma["request"], roma["visit"]})
    assert taken_ids(api, "cw.sof.centre") == ({centre["id"]}, {centre["request"], centre["visit"]})
    # A Roma-branch caseworker asking with the centre's scope has no way to: the list has no parameters.
    assert "Κεντρου" not in take(api, "cw.sof.roma", TAKE + "?structure=centre&worker=cw.sof.centre").text


def test_after_a_transfer_to_the_roma_branch_its_worker_takes_the_person_but_not_the_centres_entries(
    api: Api,
) -> None:
    moved = person(api, "cw.sof.centre", "centre", 5114, "Μετακομισμενης")
    given = api.post(
        "cw.sof.centre",
        f"/beneficiaries/{moved['id']}/assignment",
        {"worker": "cw.sof.roma", "reason": "Μετακόμισε κοντά στο παράρτημα", "occurred_on": "2024-06-03"},
    )
    assert given.status_code == 201, given.text
    assert taken_ids(api, "cw.sof.roma") == ({moved["id"]}, set())  # the centre's request and visit stay its own
    assert taken_ids(api, "cw.sof.centre") == (set(), set())


def test_a_coordinator_takes_only_the_people_she_is_responsible_for(api: Api) -> None:
    person(api, "cw.sof.centre", "centre", 5107, "Αλλουεργου")
    assert taken_ids(api, "coord.sof") == (set(), set())
    hers = person(api, "coord.sof", "centre", 5108, "Συντονιστριας")
    assert taken_ids(api, "coord.sof") == ({hers["id"]}, {hers["request"], hers["visit"]})


def test_another_tenant_an_auditor_and_an_analyst_take_nothing(api: Api) -> None:
    person(api, "cw.sof.centre", "centre", 5109, "Σοφαδιτισσα")
    for user in ("coord.kar", "auditor.sof", "auditor.pyl", "analyst.thessaly", "admin"):
        answer = take(api, user)
        assert answer.status_code == 403, (user, answer.text)
        assert "Σοφαδιτισσα" not in answer.text
        device = api.client.get("/api/v1/field/device", headers=api.headers(user))
        if user == "coord.kar":  # her own municipality's device, never another's
            assert device.json()["tenant"] == "karditsa"
        else:
            assert device.status_code == 403, user
    karditsa = take(api, "coord.kar", "/api/v1/tenants/karditsa/field/take")
    assert karditsa.status_code == 200
    assert karditsa.json()["people"] == []


def test_an_erased_person_is_never_taken(api: Api) -> None:
    gone = person(api, "cw.sof.centre", "centre", 5110, "Διαγραμμενου")
    kept = person(api, "cw.sof.centre", "centre", 5111, "Παραμενοντος")
    assert erase(api, gone["id"]).status_code in (200, 201)
    answer = take(api, "cw.sof.centre")
    assert {p["id"] for p in answer.json()["people"]} == {kept["id"]}
    assert {i["beneficiary_id"] for i in answer.json()["items"]} == {kept["id"]}
    assert "Διαγραμμενου" not in answer.text


def test_taking_without_a_valid_token_or_for_an_unknown_tenant_is_refused(api: Api) -> None:
    assert api.client.get(TAKE).status_code == 401
    assert api.client.get(TAKE, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert api.client.get("/api/v1/field/device").status_code == 401
    unknown = take(api, "cw.sof.centre", "/api/v1/tenants/no-such-town/field/take")
    assert unknown.status_code in (403, 404)


def test_a_signed_out_or_disabled_caseworkers_token_takes_nothing_more(api: Api) -> None:
    person(api, "cw.sof.centre", "centre", 5115, "Ανακλησης")
    assert take(api, "cw.sof.centre").status_code == 200
    headers = api.headers("cw.sof.centre")
    assert api.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert api.client.get(TAKE, headers=headers).status_code == 401  # the phone's copy of the token is dead
    api.tokens.pop("cw.sof.centre")
    fresh = api.headers("cw.sof.centre")
    assert api.client.get(TAKE, headers=fresh).status_code == 200
    api.kentra.accounts.set_active("cw.sof.centre", False)  # what `kentra users disable` does
    assert api.client.get(TAKE, headers=fresh).status_code == 401


def test_the_device_key_salt_is_the_users_own_and_the_device_keeps_data_for_the_set_hours(api: Api) -> None:
    mine = api.client.get("/api/v1/field/device", headers=api.headers("cw.sof.centre")).json()
    again = api.client.get("/api/v1/field/device", headers=api.headers("cw.sof.centre")).json()
    other = api.client.get("/api/v1/field/device", headers=api.headers("cw.sof.roma")).json()
    assert mine["salt"] == again["salt"]  # after a reload she unlocks with the same key
    assert mine["salt"] != other["salt"]
    assert len(bytes.fromhex(mine["salt"])) == 32
    assert mine["iterations"] >= 600_000
    assert mine["wipe_after_seconds"] == api.kentra.settings.field_device_hours * 3600 == 12 * 3600
    assert (mine["tenant"], mine["structure"], [s["id"] for s in mine["structures"]]) == (
        "sofades",
        "centre",
        ["centre"],
    )


def test_the_shell_worker_and_manifest_are_served_with_their_types_scope_and_policy(api: Api) -> None:
    person(api, "cw.sof.centre", "centre", 5112, "Κελυφους")
    api.client.post("/login", data={"username": "cw.sof.centre", "password": PASSWORD})
    shell = api.client.get("/field/")
    assert shell.status_code == 200
    assert shell.headers["content-type"].startswith("text/html")
    policy = shell.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "worker-src 'self'" in policy
    assert "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "Κελυφους" not in shell.text  # the shell is the same for everyone: no personal data, no session
    assert "cw.sof.centre" not in shell.text
    api.client.cookies.clear()
    assert api.client.get("/field/").text == shell.text
    worker = api.client.get("/field/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/field/"
    assert "/api/" not in worker.text.split("const FILES", 1)[1].split("];", 1)[0]  # the API is never kept
    manifest = api.client.get("/field/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert (manifest.json()["scope"], manifest.json()["start_url"]) == ("/field/", "/field/")
    for icon in manifest.json()["icons"]:
        assert api.client.get(icon["src"]).headers["content-type"] == "image/png"
    script = api.client.get("/static/field/app.js")
    assert script.headers["content-type"].startswith("text/javascript")
    # Every other page still runs no script at all.
    assert "script-src" not in api.client.get("/").headers["content-security-policy"]


def test_a_visit_synced_late_counts_in_the_month_it_happened_and_says_when_it_arrived(api: Api) -> None:
    mine = person(api, "cw.sof.centre", "centre", 5113, "Αργοπορημενης")  # seen in May
    may, june = ("2024-05-01", "2024-05-31"), ("2024-06-01", "2024-06-30")
    before = {month: served(api, *month) for month in (may, june)}
    # Recorded in the field on 10 June, sent on a later day: the event keeps both.
    late = api.post(
        "cw.sof.centre",
        "/home-visits",
        {"beneficiary_id": mine["id"], "structure": "centre", "occurred_on": "2024-06-10", "purpose": "homelessness"},
        key="field-late-sync-0001",
    )
    assert late.status_code == 201, late.text
    assert served(api, *june) == before[june] + 1  # counted in the month of the visit
    assert served(api, *may) == before[may]  # and nowhere else
    visit = api.client.get(
        f"/api/v1/tenants/sofades/home-visits/{late.json()['entry_id']}", headers=api.headers("cw.sof.centre")
    ).json()
    assert visit["state"]["occurred_on"] == "2024-06-10"
    recorded_at = datetime.fromisoformat(visit["history"][0]["recorded_at"])
    assert recorded_at.date() > date(2024, 6, 10)  # when it reached the centre: the server's clock


def served(api: Api, start: str, end: str) -> int:
    """Unique beneficiaries served in the period (the indicators count by the day a fact happened)."""
    answer = api.client.get(
        "/api/v1/tenants/sofades/indicators", params={"from": start, "to": end}, headers=api.headers("coord.sof")
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["beneficiaries_served"]["period"]["total"])


def test_an_intake_synced_late_into_a_submitted_period_shows_as_a_restatement_with_both_days(api: Api) -> None:
    submission = {"operation": "5002786", "from": "2022-07-01", "to": "2022-12-31", "submitted_on": "2023-01-20"}
    submitted = api.post("coord.sof", "/esf/submissions", submission, key="esf-field-sub-1")
    assert submitted.status_code == 201, submitted.text
    body = intake_body(occurred_on="2022-08-20", personal__amka=make_amka(date(1979, 3, 4), 5116))
    late = api.post("cw.sof.centre", "/beneficiaries", body, key="field-late-intake-0001")  # as the outbox sends
    assert late.status_code == 201, late.text
    report = api.client.get(
        f"/api/v1/tenants/sofades/esf/submissions/{submitted.json()['id']}", headers=api.headers("coord.sof")
    ).json()
    assert report["holds"] is False
    events = [e for change in report["changes"] for e in change["events"]]
    assert events, report
    assert {e["occurred_on"] for e in events} == {"2022-08-20"}  # the day it happened
    assert all(datetime.fromisoformat(e["recorded_at"]).date() > date(2023, 1, 20) for e in events)  # and arrived
    assert late.json()["entry_id"] not in str(report)  # people by pseudonym only


def test_the_take_and_device_answers_are_never_kept_by_a_cache(api: Api) -> None:
    """A stolen device's HTTP cache holds no copy of what she took: the answers say no-store."""
    person(api, "cw.sof.centre", "centre", 5117, "Αποθηκευσης")
    answer = take(api, "cw.sof.centre")
    assert "Αποθηκευσης" in answer.text
    assert answer.headers["cache-control"] == "no-store"
    device = api.client.get("/api/v1/field/device", headers=api.headers("cw.sof.centre"))
    assert device.headers["cache-control"] == "no-store"


def visits_of(api: Api, who: str) -> list[dict[str, Any]]:
    answer = api.client.get(
        "/api/v1/tenants/sofades/home-visits", params={"beneficiary_id": who}, headers=api.headers("coord.sof")
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_an_outbox_command_id_reused_with_other_content_or_by_another_user_records_nothing(
    api: Api, colleague: str
) -> None:
    """A tampered outbox entry (same command id, other content) or another worker replaying her id (a
    shared device): refused, nothing recorded, and no one learns her entry's id."""
    mine = person(api, "cw.sof.centre", "centre", 5118, "Επαναληψης")
    visit = {
        "beneficiary_id": mine["id"],
        "structure": "centre",
        "occurred_on": "2024-06-04",
        "purpose": "homelessness",
    }
    first = api.post("cw.sof.centre", "/home-visits", visit, key="field-reused-0001")
    assert first.status_code == 201, first.text
    entry = first.json()["entry_id"]
    tampered = api.post(
        "cw.sof.centre", "/home-visits", {**visit, "occurred_on": "2024-06-05"}, key="field-reused-0001"
    )
    assert tampered.status_code == 409, tampered.text
    assert tampered.json()["error"] == "CommandIdReusedError"
    by_her_colleague = api.post(colleague, "/home-visits", visit, key="field-reused-0001")
    assert by_her_colleague.status_code == 409, by_her_colleague.text  # her id is not his to replay
    assert entry not in by_her_colleague.text
    other_tenant = api.client.post(
        "/api/v1/tenants/sofades/home-visits", json=visit, headers=api.headers("coord.kar", "field-reused-0001")
    )
    assert other_tenant.status_code == 403, other_tenant.text
    assert entry not in other_tenant.text
    assert sorted(v["entry_id"] for v in visits_of(api, mine["id"])) == sorted([entry, mine["visit"]])


def test_an_outbox_replayed_after_she_moved_to_another_structure_records_nothing_for_the_old_one(api: Api) -> None:
    """Her rights are read on each request: the outbox she filled in the centre, sent after she was moved
    to the Roma branch, is refused (her old people are no longer hers to record for)."""
    mine = person(api, "cw.sof.centre", "centre", 5119, "Μετακινημενης")
    api.headers("cw.sof.centre")  # her token, taken before the move, as the device holds it
    with api.kentra.accounts.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "cw.sof.centre").values(structure="roma-branch"))
    before = visits_of(api, mine["id"])
    visit = {
        "beneficiary_id": mine["id"],
        "structure": "centre",
        "occurred_on": "2024-06-06",
        "purpose": "homelessness",
    }
    sent = api.post("cw.sof.centre", "/home-visits", visit, key="field-moved-0001")
    assert sent.status_code in (403, 404), sent.text
    assert "Μετακινημενης" not in sent.text
    as_branch = api.post("cw.sof.centre", "/home-visits", {**visit, "structure": "roma-branch"}, key="field-moved-0002")
    assert as_branch.status_code in (403, 404), as_branch.text
    assert visits_of(api, mine["id"]) == before
    assert taken_ids(api, "cw.sof.centre") == (set(), set())
