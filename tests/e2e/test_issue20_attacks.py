"""Attacks on issue 20's pages (an independent review): what a caseworker of one structure still learns,
through the new pages and lists, of a person whose case went to the other structure."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

from domain.identifiers import make_amka
from tests.e2e.conftest import Api
from tests.e2e.test_case_ownership import T, give, hidden, office, page_client, register  # noqa: F401 - fixture
from tests.e2e.test_erasure_api import erase

NEW_SURNAME = "Νεοδηλωμένη"


def _moved_to_the_roma_branch(api: Api) -> tuple[str, str]:
    """A centre person with a centre request, then given to the Roma branch, whose mediator corrects
    the surname: (person, request)."""
    person = register(api, "cw.sof.centre", last_name="Παλαιοεπώνυμη")
    request = api.post(
        "cw.sof.centre",
        "/requests",
        {"beneficiary_id": person, "category": "gmi", "structure": "centre", "occurred_on": "2024-05-02"},
    )
    assert request.status_code == 201, request.text
    moved = give(api, "cw.sof.centre", person, "cw.sof.roma", reason="Μετακόμισε κοντά στο παράρτημα")
    assert moved.status_code == 201, moved.text
    amended = api.post(
        "cw.sof.roma",
        "/corrections",
        {"entry_id": person, "reason": "typing_error", "personal": {"last_name": NEW_SURNAME}},
    )
    assert amended.status_code == 201, amended.text
    return person, str(request.json()["entry_id"])


def test_a_centre_request_page_does_not_name_a_person_since_given_to_the_roma_branch(office: Api) -> None:  # noqa: F811
    person, request = _moved_to_the_roma_branch(office)
    centre = page_client(office, "cw.sof.centre")
    assert centre.get(f"/t/sofades/people/{person}").status_code == 404  # she may not see the person
    shown = centre.get(f"/t/sofades/requests/{request}")
    assert shown.status_code == 200  # the centre's own entry stays hers (docs/design.md)
    assert NEW_SURNAME not in shown.text  # ...but what the Roma branch recorded about the person does not


def test_a_huge_page_number_on_the_worklists_page_is_not_a_server_error(office: Api) -> None:  # noqa: F811
    centre = page_client(office, "cw.sof.centre")
    answer = centre.get("/t/sofades/work", params={"list": "referrals", "page": "9" * 25})
    assert answer.status_code in (200, 422), answer.status_code


def test_the_intake_link_after_a_sealed_search_carries_no_amka_or_name_in_its_address(office: Api) -> None:  # noqa: F811
    amka = make_amka(date(1979, 3, 4), 777)
    centre = page_client(office, "cw.sof.centre")
    for typed in ({"amka": amka}, {"name": "Αγνωστοπούλου"}):
        token = hidden(centre.get("/t/sofades/people").text)
        sent = centre.post("/t/sofades/people", data={**token, **typed}, follow_redirects=False)
        assert sent.status_code == 303
        location = sent.headers["location"]
        assert next(iter(typed.values())) not in location  # the results' address is sealed
        results = centre.get(location)
        assert results.status_code == 200
        links = re.findall(r'href="([^"]*intake[^"]*)"', results.text)
        assert links, "the results offer an intake"
        for link in links:
            assert amka not in link
            assert quote("Αγνωστοπούλου") not in link
            assert "Αγνωστοπούλου" not in link


def test_a_case_come_from_the_roma_branch_shows_no_python_none_in_the_centres_timeline(office: Api) -> None:  # noqa: F811
    person = register(office, "cw.sof.roma", structure="roma-branch", last_name="Επιστρέφουσα")
    assert give(office, "cw.sof.roma", person, "cw.sof.centre", reason="Στο κέντρο").status_code == 201
    shown = page_client(office, "cw.sof.centre").get(f"/t/sofades/people/{person}")
    assert shown.status_code == 200
    timeline = shown.text.split('id="timeline"', 1)[1]
    assert "Ανάθεση της υπόθεσης" in timeline  # the handover is shown to the receiving structure
    assert "None" not in timeline, timeline[max(0, timeline.find("None") - 300) : timeline.find("None") + 50]


def _ordered_visit(api: Api) -> tuple[str, str]:
    person = register(api, "cw.sof.centre", last_name="Ερευνώμενη")
    visit = api.post(
        "cw.sof.centre",
        "/home-visits",
        {
            "beneficiary_id": person,
            "purpose": "prosecutor_ordered",
            "structure": "centre",
            "occurred_on": "2024-05-11",
            "order_reference": ORDER,
            "order_deadline": "2024-06-30",
        },
    )
    assert visit.status_code == 201, visit.text
    return person, str(visit.json()["entry_id"])


ORDER = "ΕΙΣ/ΚΑΡΔ/2024/118"


def test_an_auditor_without_clearance_reads_no_prosecutors_order_reference(office: Api) -> None:  # noqa: F811
    _, visit = _ordered_visit(office)
    shown = page_client(office, "auditor.sof").get(f"/t/sofades/home-visits/{visit}")
    assert shown.status_code == 200
    assert ORDER not in shown.text


def test_after_an_erasure_the_visit_page_shows_no_prosecutors_order_reference(office: Api) -> None:  # noqa: F811
    person, visit = _ordered_visit(office)
    assert erase(office, person).status_code in (200, 201)
    shown = page_client(office, "coord.sof").get(f"/t/sofades/home-visits/{visit}")
    assert shown.status_code == 200
    assert ORDER not in shown.text


def test_a_person_corrected_into_the_roma_branch_is_in_some_caseworkers_own_list(office: Api) -> None:  # noqa: F811
    person = register(office, "cw.sof.centre", last_name="Λάθοςδομή")
    correction = {"entry_id": person, "reason": "typing_error", "changes": {"structure": "roma-branch"}}
    alone = office.post("coord.sof", "/corrections", correction)
    assert alone.status_code == 422, alone.text  # alone it would leave her with a worker who cannot see her
    assert alone.json()["field"] == "changes.structure"
    assert give(office, "coord.sof", person, "cw.sof.roma", reason="Καταχωρίστηκε σε λάθος δομή").status_code == 201
    moved = office.post("coord.sof", "/corrections", correction)  # the intake's structure follows the case
    assert moved.status_code == 201, moved.text
    request = office.post(
        "cw.sof.roma",
        "/requests",
        {"beneficiary_id": person, "category": "gmi", "structure": "roma-branch", "occurred_on": "2024-06-03"},
    )
    assert request.status_code == 201, request.text
    listed = {
        user: [
            c["beneficiary_id"]
            for c in office.client.get(f"{T}/worklists/cases", headers=office.headers(user)).json()["cases"]
        ]
        for user in ("cw.sof.centre", "cw.sof.roma")
    }
    assert person in listed["cw.sof.roma"], listed
    assert person not in listed["cw.sof.centre"], listed
