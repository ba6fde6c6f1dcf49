"""The caseworkers' forms, through the application: find-or-create at intake with the duplicate warning,
requests, referrals, visits and activities, with errors explained in Greek and nothing half-written."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from domain.access_log import PersonalDataAccess
from domain.identifiers import make_amka
from services.casework import read_log
from tests.e2e.conftest import Api
from tests.e2e.test_web import csrf, sign_in, sign_out

AMKA = make_amka(date(1985, 7, 9), 77)
PERSON = {
    "structure": "centre",
    "occurred_on": "02/05/2024",
    "personal.first_name": "Ελένη",
    "personal.last_name": "Σταματοπούλου",
    "personal.birth_date": "09/07/1985",
    "personal.amka": AMKA,
    "profile.gender": "female",
    "profile.employment_status": "unemployed",
    "profile.isced_level": "3",
    "profile.household_situation": "single_parent",
    "profile.residence_area": "rural",
    "profile.homeless_or_housing_exclusion": "on",
    "special.disability": "no",
    "special.minority": "refused",
    "special.other_disadvantage": "no",
}


def events(api: Api) -> int:
    return len(list(read_log(api.kentra.casework("sofades"))))


def command_id(page: str) -> str:
    found = re.search(r'name="command_id" value="([^"]+)"', page)
    assert found, "every form carries its command id"
    return found.group(1)


def form(api: Api, path: str, **params: str) -> str:
    page = api.client.get(path, params=params)
    assert page.status_code == 200, page.text
    return command_id(page.text)


def post(api: Api, path: str, fields: dict[str, Any]) -> Any:
    return api.client.post(path, data={"csrf_token": csrf(api), **fields}, follow_redirects=False)


def intake(api: Api, **fields: str) -> Any:
    key = form(api, "/t/sofades/intake")
    return post(api, "/t/sofades/intake", {**PERSON, "command_id": key, **fields})


def registered(response: Any) -> str:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/t/sofades/people/([0-9a-f-]{36})\?recorded=intake", response.headers["location"])
    assert found
    return found.group(1)


def test_intake_starts_with_a_search_and_a_new_person_is_registered_from_a_prefilled_form(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    found = api.client.get("/t/sofades/people", params={"name": "Ελένη Σταματοπούλου"})
    assert "Δεν βρέθηκε κανείς." in found.text
    link = re.search(r'href="(/t/sofades/intake\?q=[^"]+)"', found.text)
    assert link is not None  # what was searched for travels sealed, never as ?name= in an address
    assert "Σταματοπούλου" not in link.group(1)
    page = api.client.get(html.unescape(link.group(1)))
    assert 'name="personal.first_name" type="text" value="Ελένη"' in page.text
    assert 'name="personal.last_name" type="text" value="Σταματοπούλου"' in page.text
    # today, by the platform's clock, as staff write a date
    assert 'name="occurred_on" type="text" class="date" value="28/06/2024"' in page.text
    assert "<legend>Ειδικές κατηγορίες δεδομένων (άρθρο 9 ΓΚΠΔ)</legend>" in page.text
    person = registered(post(api, "/t/sofades/intake", {**PERSON, "command_id": command_id(page.text)}))
    shown = api.client.get(f"/t/sofades/people/{person}", params={"recorded": "intake"})
    assert "Η εισαγωγή καταχωρίστηκε." in shown.text
    assert "<h1>Ελένη Σταματοπούλου</h1>" in shown.text
    assert AMKA in shown.text
    assert "refused" not in shown.text  # special-category answers are not shown on the person's page
    again = api.client.get("/t/sofades/people", params={"amka": AMKA})
    assert f'href="/t/sofades/people/{person}"' in again.text
    log = read_log(api.kentra.casework("sofades"))
    accesses = [e for e in log if type(e).__qualname__ == f"{PersonalDataAccess.__name__}.Recorded"]
    assert {e.endpoint for e in accesses} == {"GET /t/{tenant}/people/{id}", "GET /t/sofades/people"}


def test_a_form_with_mistakes_is_shown_again_with_greek_reasons_and_records_nothing(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    before = events(api)
    wrong = intake(
        api,
        **{
            "personal.amka": "12345678901",
            "profile.gender": "",
            "personal.email": "not an address",
            "occurred_on": "01/01/2031",
        },
    )
    assert wrong.status_code == 422
    assert "Διορθώστε τα παρακάτω και στείλτε ξανά:" in wrong.text
    assert "Το ΑΜΚΑ δεν είναι έγκυρο" in wrong.text
    assert 'id="f-profile-gender-error">Συμπληρώστε αυτό το πεδίο.' in wrong.text
    assert "Η διεύθυνση email δεν είναι έγκυρη." in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    assert 'value="Σταματοπούλου"' in wrong.text  # what was typed is kept
    assert "12345678901" not in wrong.text.split('id="f-personal-amka"')[0]  # never repeated in the reasons
    assert events(api) == before
    registered(intake(api))
    after = events(api)
    # The schema passes these; the domain refuses them, and they are explained beside the field.
    future = intake(
        api, **{"occurred_on": "01/01/2031", "personal.amka": make_amka(date(1985, 7, 9), 78)}, confirmed_new="yes"
    )
    assert future.status_code == 422
    assert 'id="f-occurred_on-error">Η ημερομηνία δεν μπορεί να είναι στο μέλλον.' in future.text
    born_after = intake(
        api,
        **{"personal.birth_date": "03/05/2024", "personal.amka": "", "personal.first_name": "Άλλη"},
        confirmed_new="yes",
    )
    assert born_after.status_code == 422
    assert 'id="f-personal-birth_date-error">Η ημερομηνία είναι πριν από' in born_after.text
    assert events(api) == after


def test_a_likely_duplicate_is_shown_before_registering_and_needs_confirmation(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    first = registered(intake(api))
    before = events(api)
    # The same name and birth date without an ΑΜΚΑ: probably the same person.
    warned = intake(api, **{"personal.amka": ""})
    assert warned.status_code == 409
    assert "Πιθανή διπλή καταχώριση" in warned.text
    assert f'href="/t/sofades/people/{first}"' in warned.text
    assert 'name="confirmed_new" value="yes"' in warned.text
    key = command_id(warned.text)
    assert events(api) == before + 2  # only the search for a match and the look at it were recorded
    confirmed = post(
        api, "/t/sofades/intake", {**PERSON, "personal.amka": "", "command_id": key, "confirmed_new": "yes"}
    )
    second = registered(confirmed)
    assert second != first
    # The same ΑΜΚΑ is not a warning but a refusal: a caseworker is sent to her coordinator, who is
    # shown the existing record to open (a caseworker reads the same whichever structure holds it).
    taken = intake(api, **{"personal.first_name": "Μαρία"}, confirmed_new="yes")
    assert taken.status_code == 409
    assert "Αυτό το ΑΜΚΑ είναι ήδη καταχωρισμένο· απευθυνθείτε στον/στη συντονιστή/τρια." in taken.text
    assert f"/t/sofades/people/{first}" not in taken.text
    sign_in(api, "coord.sof")
    told = intake(api, **{"personal.first_name": "Μαρία"}, confirmed_new="yes")
    assert told.status_code == 409
    assert "Υπάρχει ήδη ωφελούμενος με αυτό το ΑΜΚΑ." in told.text
    assert f'href="/t/sofades/people/{first}"' in told.text


def test_a_likely_match_in_a_structure_she_cannot_see_is_not_hinted_at(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    registered(intake(api))
    sign_out(api)
    sign_in(api, "cw.sof.roma")
    assert "Δεν βρέθηκε κανείς." in api.client.get("/t/sofades/people", params={"name": "Σταματοπούλου"}).text
    # The same name and birth date as the centre's person: no warning, no count, as for anyone new.
    unwarned = intake(api, **{"personal.amka": "", "structure": "roma-branch"})
    assert unwarned.status_code == 303
    assert registered(unwarned)


def test_a_caseworker_records_a_request_referral_visit_and_activity_and_sees_them(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    person = registered(intake(api))
    key = form(api, "/t/sofades/record/request", beneficiary=person)
    request = {"beneficiary_id": person, "command_id": key, "category": "housing_benefit", "occurred_on": "06/05/2024"}
    sent = post(api, "/t/sofades/record/request", request)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/t/sofades/people/{person}?recorded=request"
    twice = post(api, "/t/sofades/record/request", request)  # a double click: recorded once
    assert twice.status_code == 303
    early = post(
        api,
        "/t/sofades/record/request",
        {
            "beneficiary_id": person,
            "command_id": form(api, "/t/sofades/record/request", beneficiary=person),
            "category": "gmi",
            "occurred_on": "01/04/2024",
        },
    )
    assert early.status_code == 422
    assert "Η ημερομηνία είναι πριν από την ημερομηνία που προηγείται" in early.text
    no_category = post(
        api,
        "/t/sofades/record/referral",
        {
            "beneficiary_id": person,
            "command_id": form(api, "/t/sofades/record/referral", beneficiary=person),
            "occurred_on": "07/05/2024",
        },
    )
    assert no_category.status_code == 422
    assert 'id="f-destination-error">Συμπληρώστε αυτό το πεδίο.' in no_category.text
    referral = {"beneficiary_id": person, "destination": "mental_health_unit", "occurred_on": "07/05/2024"}
    key = form(api, "/t/sofades/record/referral", beneficiary=person)
    assert post(api, "/t/sofades/record/referral", {**referral, "command_id": key}).status_code == 303
    visit = {
        "beneficiary_id": person,
        "purpose": "living_conditions",
        "occurred_on": "08/05/2024",
        "follow_up_due": "08/06/2024",
        "findings": "Χωρίς θέρμανση",
    }
    key = form(api, "/t/sofades/record/home_visit", beneficiary=person)
    assert post(api, "/t/sofades/record/home_visit", {**visit, "command_id": key}).status_code == 303
    key = form(api, "/t/sofades/record/activity")
    meeting = {"command_id": key, "kind": "networking_meeting", "occurred_on": "09/05/2024", "participants": "6"}
    done = post(api, "/t/sofades/record/activity", meeting)
    assert done.headers["location"] == "/t/sofades/people?recorded=activity"
    page = api.client.get(f"/t/sofades/people/{person}").text
    assert page.count("Επίδομα Στέγασης") == 1
    assert re.search(r'<td><a href="/t/sofades/requests/[0-9a-f-]{36}">Επίδομα Στέγασης</a></td><td>Ανοιχτό</td>', page)
    assert re.search(
        r'<td><a href="/t/sofades/referrals/[0-9a-f-]{36}">Μονάδα Ψυχικής Υγείας</a></td><td>Στάλθηκε</td>', page
    )
    assert "Διερεύνηση συνθηκών διαβίωσης" in page
    caseload = api.client.get("/t/sofades/caseload").text
    assert "cw.sof.centre" in caseload
    requests = api.client.get(
        "/api/v1/tenants/sofades/requests", headers=api.headers("coord.sof"), params={"beneficiary_id": person}
    ).json()
    assert requests["total"] == 1
    assert requests["items"][0]["recorded_by"] == "cw.sof.centre"


def test_only_the_tenants_caseworkers_and_coordinators_reach_the_forms(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    person = registered(intake(api))
    sign_out(api)
    assert api.client.get("/t/sofades/people", follow_redirects=False).headers["location"] == "/"
    for user in ("auditor.sof", "analyst.thessaly", "coord.kar"):
        sign_in(api, user)
        assert api.client.get("/t/sofades/people").status_code == 403
        assert post(api, "/t/sofades/record/activity", {"kind": "networking_meeting"}).status_code == 403
        sign_out(api)
    sign_in(api, "cw.sof.roma")
    assert api.client.get(f"/t/sofades/people/{person}").status_code == 404  # another structure's person
    refused = post(
        api,
        "/t/sofades/record/request",
        {"beneficiary_id": person, "category": "gmi", "occurred_on": "06/05/2024", "command_id": "web-try-other-1"},
    )
    assert refused.status_code in (403, 422)
    assert "Ελένη" not in refused.text
    sign_out(api)
    sign_in(api, "coord.sof")
    coordinator = api.client.get("/t/sofades/record/activity").text
    assert '<select id="f-structure" name="structure"' in coordinator  # a coordinator chooses the structure
    theirs = api.client.get("/t/sofades/record/request", params={"beneficiary": person}).text
    assert '<option value="centre" selected>' in theirs  # by default the person's own


def test_an_amka_with_another_date_than_the_birth_date_needs_the_intake_pages_confirmation(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    before = events(api)
    other = {"personal.amka": make_amka(date(1986, 7, 9), 91)}
    refused = intake(api, **other)
    assert refused.status_code == 422
    assert "Τα 6 πρώτα ψηφία του ΑΜΚΑ δεν είναι η ημερομηνία γέννησης" in refused.text
    assert 'name="amka_date_mismatch_confirmed"' in refused.text
    assert events(api) == before + 1  # nothing recorded but the likely-duplicate search, which is logged
    registered(intake(api, **other, amka_date_mismatch_confirmed="on"))
