"""Case ownership through the API and the pages (issue 20): a coordinator assigns, a caseworker hands
over her own cases only, a transfer to the Roma branch moves who sees the person, and nobody learns
through these endpoints where a person they may not see is."""

from __future__ import annotations

import itertools
import json
import logging
import re
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from domain.identifiers import make_amka
from gateways.kafka.gateway import Gateway
from services.access import Principal, Role
from services.casework import read_log
from tests.e2e.conftest import PASSWORD, Api, intake_body
from tests.e2e.test_web import sign_in

T = "/api/v1/tenants/sofades"
REASON = "Αναλαμβάνει λόγω φόρτου· η κυρία ζητά συνάντηση την Τρίτη"
NAMES = {
    "cw.sof.centre": "Μαρία Οικονόμου",
    "cw.sof.roma": "Άννα Καραγιάννη",
    "coord.sof": "Ελένη Παπαδάκη",
    "cw.sof.centre2": "Γιώργος Τσιάρας",
}
ROMA_BRANCH = "Παράρτημα Ρομά Δήμου Σοφάδων"
_amkas = itertools.count(5000)


@pytest.fixture
def office(api: Api) -> Api:
    """The API's users with full names, a second centre caseworker, and a disabled one."""
    for username, name in NAMES.items():
        if username != "cw.sof.centre2":
            api.kentra.accounts.set_full_name(username, name)
    second = Principal("cw.sof.centre2", Role.CASEWORKER, frozenset({"sofades"}), structure="centre")
    api.kentra.accounts.add(Principal(**{**vars(second), "full_name": NAMES["cw.sof.centre2"]}), PASSWORD)
    api.kentra.accounts.add(
        Principal("cw.sof.gone", Role.CASEWORKER, frozenset({"sofades"}), structure="centre"), PASSWORD
    )
    api.kentra.accounts.set_active("cw.sof.gone", False)
    return api


def register(api: Api, worker: str, structure: str = "centre", **personal: str) -> str:
    amka = make_amka(date(1979, 3, 4), next(_amkas))
    body = intake_body(structure=structure, personal__amka=amka, **{f"personal__{k}": v for k, v in personal.items()})
    response = api.post(worker, "/beneficiaries", body)
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def give(api: Api, user: str, person: str, worker: str, key: str | None = None, **fields: Any) -> Any:
    body = {"worker": worker, "reason": REASON, "occurred_on": "2024-06-03", **fields}
    return api.post(user, f"/beneficiaries/{person}/assignment", body, key)


def responsible(api: Api, user: str, person: str) -> Any:
    return api.client.get(f"{T}/beneficiaries/{person}/assignment", headers=api.headers(user))


def version(api: Api, person: str) -> int:
    return int(api.client.get(f"{T}/beneficiaries/{person}", headers=api.headers("coord.sof")).json()["version"])


# ------------------------------------------------------------------------------------------ the API
def test_a_coordinator_gives_a_case_and_a_retry_records_it_once(office: Api) -> None:
    person = register(office, "cw.sof.centre")
    first = give(office, "coord.sof", person, "cw.sof.centre2", key="assign-once-0001")
    assert first.status_code == 201, first.text
    again = give(office, "coord.sof", person, "cw.sof.centre2", key="assign-once-0001")
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (200, "true")
    now = responsible(office, "coord.sof", person).json()
    assert (now["worker"], now["worker_name"], now["structure"], now["since"]) == (
        "cw.sof.centre2",
        "Γιώργος Τσιάρας",
        "centre",
        "2024-06-03",
    )
    assert [(a["worker_name"], a["recorded_by_name"], a["reason"]) for a in now["history"]] == [
        ("Μαρία Οικονόμου", "Μαρία Οικονόμου", None),
        ("Γιώργος Τσιάρας", "Ελένη Παπαδάκη", REASON),
    ]


def test_a_caseworker_handing_over_someone_elses_case_is_refused(office: Api) -> None:
    person = register(office, "cw.sof.centre")
    refused = give(office, "cw.sof.centre2", person, "cw.sof.centre2")
    assert refused.status_code == 403, refused.text
    assert version(office, person) == 1
    assert give(office, "cw.sof.centre", person, "cw.sof.centre2").status_code == 201


def test_a_centre_caseworker_cannot_tell_a_roma_branch_person_from_an_unknown_id(office: Api) -> None:
    theirs = register(office, "cw.sof.roma", structure="roma-branch")
    nobody = str(uuid4())
    bodies = [
        {"worker": "cw.sof.centre2"},
        {"worker": "cw.sof.roma"},
        {"worker": "nobody.at.all"},
        {"worker": "cw.sof.centre2", "occurred_on": "2031-01-01"},
        {"worker": "cw.sof.centre2", "structure": "roma-branch"},
    ]
    for fields in bodies:
        real, ghost = (give(office, "cw.sof.centre", p, **{"worker": "x", **fields}) for p in (theirs, nobody))
        assert (real.status_code, real.text.replace(theirs, "ID")) == (
            ghost.status_code,
            ghost.text.replace(nobody, "ID"),
        )
        assert real.status_code == 404
    real, ghost = responsible(office, "cw.sof.centre", theirs), responsible(office, "cw.sof.centre", nobody)
    assert (real.status_code, real.text.replace(theirs, "ID")) == (ghost.status_code, ghost.text.replace(nobody, "ID"))
    assert version(office, theirs) == 1


def test_another_tenants_coordinator_neither_assigns_nor_lists_this_tenants_staff(office: Api) -> None:
    person = register(office, "cw.sof.centre")
    assert give(office, "coord.kar", person, "coord.kar").status_code == 403
    assert office.client.get(f"{T}/staff", headers=office.headers("coord.kar")).status_code == 403
    own = office.client.get("/api/v1/tenants/karditsa/staff", headers=office.headers("coord.kar"))
    assert [m["username"] for m in own.json()] == ["coord.kar"]
    assert version(office, person) == 1


@pytest.mark.parametrize("user", ["auditor.sof", "analyst.thessaly", "admin"])
def test_an_auditor_an_analyst_or_an_admin_gives_no_case(office: Api, user: str) -> None:
    person = register(office, "cw.sof.centre")
    assert give(office, user, person, "cw.sof.centre2").status_code == 403
    assert version(office, person) == 1


def test_the_staff_list_is_this_tenants_active_caseworkers_and_coordinators_by_full_name(office: Api) -> None:
    listed = office.client.get(f"{T}/staff", headers=office.headers("cw.sof.centre"))
    assert listed.status_code == 200
    assert [(m["username"], m["full_name"], m["structure"]) for m in listed.json()] == [
        ("cw.sof.roma", "Άννα Καραγιάννη", "roma-branch"),
        ("cw.sof.centre2", "Γιώργος Τσιάρας", "centre"),
        ("coord.sof", "Ελένη Παπαδάκη", None),
        ("cw.sof.centre", "Μαρία Οικονόμου", "centre"),
    ]
    assert office.client.get(f"{T}/staff", headers=office.headers("analyst.thessaly")).status_code == 403


@pytest.mark.parametrize("worker", ["coord.kar", "cw.sof.gone", "auditor.sof", "nobody.at.all"])
def test_a_case_goes_to_no_one_but_an_active_worker_of_the_tenant(office: Api, worker: str) -> None:
    person = register(office, "cw.sof.centre")
    refused = give(office, "coord.sof", person, worker)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["field"], refused.json()["detail"]) == (
        "worker",
        "not an active caseworker or coordinator of this municipality",
    )
    assert version(office, person) == 1


def test_after_a_transfer_the_roma_branch_sees_the_person_and_the_centre_does_not(office: Api) -> None:
    person = register(office, "cw.sof.centre", last_name="Μεταφερμένη")
    request = office.post(
        "cw.sof.centre",
        "/requests",
        {"beneficiary_id": person, "category": "gmi", "structure": "centre", "occurred_on": "2024-05-02"},
    )
    assert request.status_code == 201
    moved = give(office, "cw.sof.centre", person, "cw.sof.roma", reason="Μετακόμισε κοντά στο παράρτημα")
    assert moved.status_code == 201, moved.text
    assert office.client.get(f"{T}/beneficiaries/{person}", headers=office.headers("cw.sof.roma")).status_code == 200
    now = responsible(office, "cw.sof.roma", person).json()
    assert (now["worker_name"], now["structure"]) == ("Άννα Καραγιάννη", "roma-branch")
    for user in ("cw.sof.centre", "cw.sof.centre2"):
        ghost = str(uuid4())
        for path in ("", "/assignment"):
            real = office.client.get(f"{T}/beneficiaries/{person}{path}", headers=office.headers(user))
            none = office.client.get(f"{T}/beneficiaries/{ghost}{path}", headers=office.headers(user))
            assert real.status_code == 404
            assert real.text.replace(person, "ID") == none.text.replace(ghost, "ID")
        found = office.client.get(f"{T}/beneficiaries", params={"name": "Μεταφερμένη"}, headers=office.headers(user))
        assert found.json() == []
    # The centre's request stays the centre's; the Roma branch does not see it.
    entry = str(request.json()["entry_id"])
    assert office.client.get(f"{T}/requests/{entry}", headers=office.headers("cw.sof.centre")).status_code == 200
    assert office.client.get(f"{T}/requests/{entry}", headers=office.headers("cw.sof.roma")).status_code == 404


def test_a_case_come_from_the_roma_branch_shows_the_centre_why_but_not_who_gave_it(office: Api) -> None:
    person = register(office, "cw.sof.roma", structure="roma-branch")
    assert give(office, "cw.sof.roma", person, "cw.sof.centre", reason="Ζητά το κέντρο").status_code == 201
    for path in ("", "/assignment"):
        shown = office.client.get(f"{T}/beneficiaries/{person}{path}", headers=office.headers("cw.sof.centre"))
        assert shown.status_code == 200
        for secret in ("roma-branch", "cw.sof.roma", "Καραγιάννη"):
            assert secret not in shown.text, (path, secret)
    assert responsible(office, "cw.sof.centre", person).json()["history"][-1]["reason"] == "Ζητά το κέντρο"
    told = responsible(office, "coord.sof", person).json()
    assert [a["structure"] for a in told["history"]] == ["roma-branch", "centre"]


def test_the_reason_never_reaches_the_logs_the_stored_row_or_the_regions_envelopes(
    office: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    person = register(office, "cw.sof.centre")
    assert give(office, "cw.sof.centre", person, "cw.sof.roma").status_code == 201
    assert responsible(office, "cw.sof.roma", person).json()["history"][-1]["reason"] == REASON
    assert REASON not in caplog.text
    stored = office.kentra.casework("sofades").recorder.select_notifications(start=None, limit=10_000)
    assert all(REASON.encode() not in n.state for n in stored)
    sent: list[dict[str, Any]] = []

    class Capture:
        def send(self, tenant_id: str, envelopes: list[dict[str, Any]]) -> None:
            sent.extend(envelopes)

    Gateway(office.kentra, Capture()).catch_up("sofades")
    assert sent, "the intake at least is published"
    published = json.dumps(sent, ensure_ascii=False)
    for secret in (REASON, "CaseAssigned", "cw.sof.roma", "roma-branch"):
        assert secret not in published
    assert any(type(e).__qualname__ == "Beneficiary.CaseAssigned" for e in read_log(office.kentra.casework("sofades")))


# ------------------------------------------------------------------------------------------ the pages
def page_client(api: Api, user: str) -> TestClient:
    client = TestClient(api.client.app, raise_server_exceptions=False)
    sign_in(Api(api.kentra, client), user)
    return client


def hidden(text: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text))


def test_a_coordinator_gives_a_case_through_the_page_after_a_refused_form_that_kept_what_was_typed(
    office: Api,
) -> None:
    person = register(office, "cw.sof.centre")
    page = page_client(office, "coord.sof")
    url = f"/t/sofades/people/{person}/responsible"
    drawn = page.get(url)
    assert drawn.status_code == 200
    assert "Μαρία Οικονόμου" in drawn.text
    assert '<option value="cw.sof.centre2">Γιώργος Τσιάρας · Κέντρο Κοινότητας Δήμου Σοφάδων</option>' in drawn.text
    form = hidden(drawn.text)
    wrong = page.post(url, data={**form, "worker": "cw.sof.centre2", "reason": "", "occurred_on": "31/02/2024"})
    assert wrong.status_code == 422
    assert "Συμπληρώστε αυτό το πεδίο." in wrong.text
    assert "Δώστε την ημερομηνία ως ηη/μμ/εεεε" in wrong.text
    assert 'value="31/02/2024"' in wrong.text
    assert '<option value="cw.sof.centre2" selected>' in wrong.text
    assert version(office, person) == 1
    done = page.post(
        url,
        data={**hidden(wrong.text), "worker": "cw.sof.centre2", "reason": REASON, "occurred_on": "03/06/2024"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, f"{url}?given=1")
    shown = page.get(done.headers["location"])
    assert "Η υπόθεση ανατέθηκε." in shown.text
    assert "Γιώργος Τσιάρας, Κέντρο Κοινότητας Δήμου Σοφάδων, από 03/06/2024" in shown.text
    assert REASON in shown.text
    twice = page.post(
        url,
        data={**hidden(wrong.text), "worker": "cw.sof.centre2", "reason": REASON, "occurred_on": "03/06/2024"},
        follow_redirects=False,
    )
    assert twice.status_code == 303  # the same command id: recorded once
    assert version(office, person) == 2


def test_the_page_refuses_in_greek_a_case_given_to_the_one_responsible_or_a_caseworker_elsewhere(office: Api) -> None:
    person = register(office, "cw.sof.centre")
    page = page_client(office, "coord.sof")
    url = f"/t/sofades/people/{person}/responsible"
    day = {"reason": REASON, "occurred_on": "03/06/2024"}
    same = page.post(url, data={**hidden(page.get(url).text), "worker": "cw.sof.centre", **day})
    assert same.status_code == 422
    assert "Η υπόθεση ανήκει ήδη σε αυτόν/ή τον/την εργαζόμενο/η." in same.text
    elsewhere = page.post(url, data={**hidden(same.text), "worker": "cw.sof.roma", "structure": "centre", **day})
    assert "Ο/Η κοινωνικός λειτουργός αναλαμβάνει υποθέσεις μόνο της δικής του/της δομής." in elsewhere.text
    assert version(office, person) == 1


def test_a_caseworker_not_responsible_is_shown_no_form_and_her_post_is_refused(office: Api) -> None:
    person = register(office, "cw.sof.centre")
    page = page_client(office, "cw.sof.centre2")
    url = f"/t/sofades/people/{person}/responsible"
    drawn = page.get(url)
    assert drawn.status_code == 200
    assert 'name="worker"' not in drawn.text
    form = hidden(page.get(f"/t/sofades/people/{person}/responsible").text)
    refused = page.post(url, data={**form, "worker": "cw.sof.centre2", "reason": REASON, "occurred_on": "03/06/2024"})
    assert refused.status_code == 403
    assert version(office, person) == 1


def test_a_caseworker_hands_a_case_to_the_roma_branch_and_her_pages_then_know_nothing_of_it(office: Api) -> None:
    person = register(office, "cw.sof.centre", last_name="Παραδομένη")
    page = page_client(office, "cw.sof.centre")
    url = f"/t/sofades/people/{person}/responsible"
    form = hidden(page.get(url).text)
    done = page.post(
        url,
        data={**form, "worker": "cw.sof.roma", "reason": REASON, "occurred_on": "03/06/2024"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/t/sofades/handed-over")
    after = page.get(done.headers["location"])
    assert "Η υπόθεση παραδόθηκε." in after.text
    assert ROMA_BRANCH not in after.text
    ghost = str(uuid4())
    for path in ("", "/responsible"):
        real, none = page.get(f"/t/sofades/people/{person}{path}"), page.get(f"/t/sofades/people/{ghost}{path}")
        assert real.status_code == 404
        assert real.text == none.text
    assert "Παραδομένη" not in page.get("/t/sofades/people", params={"name": "Παραδομένη"}).text.split("</form>")[-1]
    mediator = page_client(office, "cw.sof.roma")
    assert "Άννα Καραγιάννη, Παράρτημα Ρομά Δήμου Σοφάδων" in mediator.get(url).text


def test_a_page_post_without_the_forms_token_records_nothing(office: Api) -> None:
    person = register(office, "cw.sof.centre")
    page = page_client(office, "coord.sof")
    url = f"/t/sofades/people/{person}/responsible"
    form = {k: v for k, v in hidden(page.get(url).text).items() if k != "csrf_token"}
    refused = page.post(url, data={**form, "worker": "cw.sof.centre2", "reason": REASON, "occurred_on": "03/06/2024"})
    assert refused.status_code == 403
    assert version(office, person) == 1
