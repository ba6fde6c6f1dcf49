"""Every entry's page and every step on it, through the pages: facts and timeline in Greek, steps only
where the state allows them, corrections with their old and new values, and the attacks: another
structure's or tenant's entry is not found, an auditor without clearance reads no names and takes no
step, a voided or erased person's entry takes none, a stale form is refused, a resubmitted one
records once."""

from __future__ import annotations

import re
from typing import Any

from domain.access_log import PersonalDataAccess
from services.casework import read_log
from tests.e2e.conftest import Api
from tests.e2e.test_erasure_api import erase
from tests.e2e.test_web import sign_in
from tests.e2e.test_web_forms import PERSON, command_id, events, form, intake, post, registered

DAY, STEP_DAY = "2024-05-02", "2024-06-03"
UNKNOWN = "0b0e8f4e-1c1d-4f55-9a53-4f0f0f0f0f0f"


def new_person(api: Api, structure: str = "centre", **fields: str) -> str:
    return registered(intake(api, structure=structure, confirmed_new="yes", **fields))


def new_entry(api: Api, person: str, kind: str, **fields: str) -> str:
    """Record an entry through its form; its id, found on the person's page."""
    segment = {"request": "requests", "referral": "referrals", "home_visit": "home-visits"}[kind]
    before = set(re.findall(rf"/t/sofades/{segment}/([0-9a-f-]{{36}})", page(api, f"/t/sofades/people/{person}")))
    key = form(api, f"/t/sofades/record/{kind}", beneficiary=person)
    body = {"command_id": key, "beneficiary_id": person, "structure": "centre", "occurred_on": DAY, **fields}
    answer = post(api, f"/t/sofades/record/{kind}", body)
    assert answer.status_code == 303, answer.text
    after = set(re.findall(rf"/t/sofades/{segment}/([0-9a-f-]{{36}})", page(api, f"/t/sofades/people/{person}")))
    (made,) = after - before
    return str(made)


def page(api: Api, path: str, status: int = 200) -> str:
    answer = api.client.get(path)
    assert answer.status_code == status, answer.text
    return str(answer.text)


def version(text: str) -> str:
    found = re.search(r'name="expected_version" value="(\d+)"', text)
    assert found, "every step's form carries the entry's version"
    return found.group(1)


def step(api: Api, path: str, **fields: str) -> Any:
    """Open a step's form and send it with these fields (and the form's own command id and version)."""
    drawn = page(api, path)
    return post(api, path, {"command_id": command_id(drawn), "expected_version": version(drawn), **fields})


def done(answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def steps_offered(text: str, entry: str) -> set[str]:
    return set(re.findall(rf'href="/t/sofades/[a-z-]+/{entry}/([a-z-]+)"', text))


def test_a_request_shows_every_fact_and_each_step_from_its_page_lands_in_its_timeline(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    her = new_person(api)
    request = new_entry(api, her, "request", category="housing_benefit", agency="opeka", notes="Ενοίκιο 300 ευρώ")
    shown = page(api, f"/t/sofades/requests/{request}")
    assert "<h1>Αίτημα: Επίδομα Στέγασης</h1>" in shown
    assert f'href="/t/sofades/people/{her}">Ελένη Σταματοπούλου</a>' in shown  # back to the person
    assert "<dd>ΟΠΕΚΑ</dd>" in shown
    assert "<dd>02/05/2024</dd>" in shown
    assert "Ενοίκιο 300 ευρώ" in shown  # her caseworker reads the notes
    assert "<dd>Ανοιχτό</dd>" in shown
    assert steps_offered(shown, request) == {
        "agency-status",
        "progress",
        "resolve",
        "close",
        "withdraw",
        "amend",
        "void",
    }
    where = f"/t/sofades/requests/{request}"
    status = step(
        api,
        f"{where}/agency-status",
        agency="opeka",
        reference="ΟΠΕΚΑ/2024/55555",
        status="submitted",
        occurred_on="2024-05-03",
    )
    assert done(status) == f"{where}?done=agency-status"
    step(api, f"{where}/progress", occurred_on="2024-05-10")
    resolved = step(api, f"{where}/resolve", occurred_on=STEP_DAY, notes="Εγκρίθηκε το επίδομα")
    assert done(resolved) == f"{where}?done=resolve"
    shown = page(api, f"{where}?done=resolve")
    assert "Το αίτημα ικανοποιήθηκε." in shown
    assert "<dd>Ικανοποιήθηκε</dd>" in shown
    assert "<dd>ΟΠΕΚΑ/2024/55555</dd>" in shown
    assert "<dd>Υποβλήθηκε</dd>" in shown
    resolved_steps = steps_offered(shown, request)
    assert resolved_steps == {"agency-status", "reopen", "amend", "void"}  # a resolved request is not resolved again
    timeline = shown.split('id="timeline"')[1]
    events_shown = re.findall(r"<h3>([^<]+)</h3>", timeline)
    assert events_shown == ["Κλείσιμο αιτήματος", "Έναρξη επεξεργασίας", "Κατάσταση στον φορέα", "Άνοιγμα αιτήματος"]
    assert "<dd>03/06/2024</dd>" in timeline
    assert "Εγκρίθηκε το επίδομα" in timeline
    assert "<dd>cw.sof.centre</dd>" in timeline
    assert re.search(r"<dd>\d\d/\d\d/\d{4} \d\d:\d\d</dd>", timeline)  # when it was recorded, in Athens time
    again = page(api, f"{where}/resolve", 409)
    assert "Η ενέργεια δεν επιτρέπεται στην τρέχουσα κατάσταση." in again


def test_a_referral_is_accepted_then_given_its_outcome_and_an_outcome_before_acceptance_is_refused(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    her = new_person(api)
    referral = new_entry(api, her, "referral", destination="mental_health_unit")
    where = f"/t/sofades/referrals/{referral}"
    assert steps_offered(page(api, where), referral) == {"accept", "decline", "amend", "void"}
    before = events(api)
    early = post(
        api, f"{where}/outcome", {"command_id": "web-early-outcome", "outcome": "served", "occurred_on": STEP_DAY}
    )
    assert early.status_code == 409
    assert "Η έκβαση καταχωρίζεται μόνο αφού ο φορέας δεχτεί την παραπομπή." in early.text
    assert 'value="served" selected' in early.text  # what was typed is kept
    assert events(api) == before + 1  # only the form's look at the person
    done(step(api, f"{where}/accept", occurred_on="2024-05-20"))
    assert steps_offered(page(api, where), referral) == {"outcome", "amend", "void"}
    done(step(api, f"{where}/outcome", outcome="partially_served", occurred_on=STEP_DAY, notes="Ένα ραντεβού"))
    shown = page(api, where)
    assert "<dd>Ολοκληρώθηκε</dd>" in shown
    assert "<dd>Εξυπηρετήθηκε εν μέρει</dd>" in shown
    assert "<dd>20/05/2024</dd>" in shown
    assert "<h3>Απάντηση του φορέα</h3>" in shown
    assert "<dd>Έγινε δεκτή</dd>" in shown
    declined = new_entry(api, her, "referral", destination="ngo", **{"consent.given_as": "signed_form"})
    done(
        step(
            api, f"/t/sofades/referrals/{declined}/decline", occurred_on="2024-05-21", notes="Δεν καλύπτεται η περιοχή"
        )
    )
    shown = page(api, f"/t/sofades/referrals/{declined}")
    assert "<dd>Απορρίφθηκε</dd>" in shown
    assert "Δεν καλύπτεται η περιοχή" in shown
    assert steps_offered(shown, declined) == {"amend", "void"}


def test_a_home_visits_follow_up_is_done_with_its_findings(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    her = new_person(api)
    visit = new_entry(
        api, her, "home_visit", purpose="living_conditions", follow_up_due="2024-06-01", findings="Χωρίς θέρμανση"
    )
    where = f"/t/sofades/home-visits/{visit}"
    shown = page(api, where)
    assert "<dd>Διερεύνηση συνθηκών διαβίωσης</dd>" in shown
    assert "<dd>01/06/2024</dd>" in shown
    assert "Χωρίς θέρμανση" in shown
    missing = step(api, f"{where}/follow-up", occurred_on="")
    assert missing.status_code == 422
    assert "Ημερομηνία επανεπίσκεψης: Συμπληρώστε αυτό το πεδίο." in missing.text
    done(step(api, f"{where}/follow-up", occurred_on="2024-05-30", notes="Τοποθετήθηκε σόμπα"))
    shown = page(api, where)
    assert "Τοποθετήθηκε σόμπα" in shown
    assert "<dd>30/05/2024</dd>" in shown
    assert steps_offered(shown, visit) == {"amend", "void"}
    person = page(api, f"/t/sofades/people/{her}")
    assert f'href="/t/sofades/home-visits/{visit}"' in person  # the person's page links to it


def test_an_amendment_shows_old_and_new_values_with_its_reason_and_a_void_ends_every_step(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    her = new_person(api)
    request = new_entry(api, her, "request", category="housing_benefit")
    where = f"/t/sofades/requests/{request}"
    drawn = page(api, f"{where}/amend")
    assert 'value="housing_benefit" selected' in drawn  # the form starts from the current values
    before = events(api)
    nothing = post(
        api,
        f"{where}/amend",
        {
            "command_id": command_id(drawn),
            "expected_version": version(drawn),
            "changes.category": "housing_benefit",
            "changes.occurred_on": DAY,
            "reason": "typing_error",
        },
    )
    assert nothing.status_code == 422
    assert "Δεν αλλάξατε καμία τιμή" in nothing.text
    assert events(api) == before + 1  # only the form's look at the person
    amended = step(
        api,
        f"{where}/amend",
        **{
            "changes.category": "food_aid_teba",
            "changes.occurred_on": DAY,
            "reason": "typing_error",
            "reason_note": "Επιλέχθηκε λάθος κατηγορία",
        },
    )
    done(amended)
    shown = page(api, where)
    assert "<h1>Αίτημα: ΤΕΒΑ (Ταμείο Ευρωπαϊκής Βοήθειας προς τους Απόρους)</h1>" in shown
    change = re.search(
        r'<dt>Κατηγορία</dt><dd><span class="old">([^<]+)</span> → <span class="new">([^<]+)</span>', shown
    )
    assert change
    assert change.groups() == ("Επίδομα Στέγασης", "ΤΕΒΑ (Ταμείο Ευρωπαϊκής Βοήθειας προς τους Απόρους)")
    assert "<dd>Λάθος πληκτρολόγησης</dd>" in shown
    assert "Επιλέχθηκε λάθος κατηγορία" in shown
    assert shown.count('class="old"') == 1  # the date was not changed, so it is not listed
    done(step(api, f"{where}/void", reason="duplicate_entry", reason_note="Καταχωρίστηκε δύο φορές"))
    shown = page(api, where)
    assert "Η καταχώριση ακυρώθηκε" in shown
    assert "<h3>Ακύρωση</h3>" in shown
    assert "<dd>Διπλή καταχώριση</dd>" in shown
    assert steps_offered(shown, request) == set()
    assert "Η καταχώριση έχει ακυρωθεί ή διαγραφεί." in page(api, f"{where}/progress", 409)
    before = events(api)
    late = post(api, f"{where}/progress", {"command_id": "web-after-the-void", "occurred_on": STEP_DAY})
    assert late.status_code == 409
    assert "Η καταχώριση έχει ακυρωθεί ή διαγραφεί." in late.text
    assert events(api) == before + 1  # only the form's look at the person


def test_a_persons_correction_shows_the_old_and_new_name_to_her_caseworker_only(api: Api) -> None:
    sign_in(api, "coord.sof")
    her = new_person(api)
    drawn = page(api, f"/t/sofades/people/{her}/amend")
    assert 'value="Σταματοπούλου"' in drawn
    assert 'value="refused" selected' not in drawn  # the special-category answers are never drawn
    fields = {k: v for k, v in PERSON.items() if k.startswith("personal.")}
    changed = {
        **fields,
        "personal.last_name": "Σταματοπούλου-Νίκα",
        "changes.profile.employment_status": "employed",
        "changes.profile.homeless_or_housing_exclusion": "on",  # ticked as drawn, as a browser sends it
    }
    done(step(api, f"/t/sofades/people/{her}/amend", **changed, reason="new_information", reason_note="Παντρεύτηκε"))
    shown = page(api, f"/t/sofades/people/{her}")
    assert "<h1>Ελένη Σταματοπούλου-Νίκα</h1>" in shown
    assert '<span class="old">Σταματοπούλου</span> → <span class="new">Σταματοπούλου-Νίκα</span>' in shown
    assert '<span class="old">Άνεργος/η</span> → <span class="new">Εργαζόμενος/η</span>' in shown
    assert "<dd>Νέα στοιχεία</dd>" in shown
    assert shown.count('class="old"') == 2  # only what changed
    sign_in(api, "auditor.sof")
    audited = page(api, f"/t/sofades/people/{her}")
    assert "Σταματοπούλου" not in audited
    assert "Παντρεύτηκε" not in audited
    assert "Εργαζόμενος/η" not in audited  # the profile too is for those cleared
    assert "Κρυπτογραφημένο (δεν εμφανίζεται)" in audited
    assert "<dd>Νέα στοιχεία</dd>" in audited  # that it was corrected, and why, is not personal


def test_a_stale_form_is_refused_in_greek_and_a_resubmitted_form_records_once(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    her = new_person(api)
    request = new_entry(api, her, "request", category="gmi")
    where = f"/t/sofades/requests/{request}"
    stale = page(api, f"{where}/withdraw")
    done(step(api, f"{where}/agency-status", agency="opeka", status="under_review", occurred_on="2024-05-03"))
    before = events(api)
    refused = post(
        api,
        f"{where}/withdraw",
        {
            "command_id": command_id(stale),
            "expected_version": version(stale),
            "occurred_on": STEP_DAY,
            "notes": "Δεν το χρειάζεται",
        },
    )
    assert refused.status_code == 409
    assert "Η εγγραφή άλλαξε στο μεταξύ" in refused.text
    assert "Δεν το χρειάζεται" in refused.text  # kept
    assert events(api) == before + 1  # only the form's look at the person
    drawn = page(api, f"{where}/progress")
    fields = {"command_id": command_id(drawn), "expected_version": version(drawn), "occurred_on": STEP_DAY}
    first, second = post(api, f"{where}/progress", fields), post(api, f"{where}/progress", fields)
    assert done(first) == done(second)
    timeline = page(api, where).split('id="timeline"')[1]
    assert timeline.count("<h3>Έναρξη επεξεργασίας</h3>") == 1


def not_found(api: Api, path: str) -> tuple[int, str]:
    answer = api.client.get(path)
    return answer.status_code, answer.text


def test_another_structures_or_tenants_entry_answers_as_an_unknown_one_and_takes_no_step(api: Api) -> None:
    sign_in(api, "cw.sof.roma")
    roma = new_person(api, "roma-branch", **{"personal.amka": "", "personal.first_name": "Ρένα"})
    request = new_entry(api, roma, "request", category="gmi", structure="roma-branch")
    before = events(api)
    for user in ("cw.sof.centre", "coord.kar", "analyst.thessaly"):
        sign_in(api, user)
        unknown = not_found(api, f"/t/sofades/requests/{UNKNOWN}")
        assert unknown[0] == 404
        assert not_found(api, f"/t/sofades/requests/{request}") == unknown, user
        assert not_found(api, f"/t/sofades/people/{roma}") == not_found(api, f"/t/sofades/people/{UNKNOWN}"), user
        assert not_found(api, f"/t/sofades/requests/{request}/progress") == not_found(
            api, f"/t/sofades/requests/{UNKNOWN}/progress"
        )
        posted = post(
            api, f"/t/sofades/requests/{request}/progress", {"command_id": f"web-{user}-roma", "occurred_on": STEP_DAY}
        )
        assert posted.status_code == 404
        assert "Ρένα" not in posted.text
        assert "Παράρτημα" not in posted.text
    assert events(api) == before  # nothing recorded, not even a look


def test_an_auditor_without_clearance_reads_an_entry_without_names_or_notes_and_takes_no_step(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    her = new_person(api)
    request = new_entry(api, her, "request", category="gmi", notes="Οικογένεια τριών ατόμων")
    sign_in(api, "auditor.sof")
    before = events(api)
    shown = page(api, f"/t/sofades/requests/{request}")
    assert "Ελένη" not in shown
    assert "Σταματοπούλου" not in shown
    assert "Οικογένεια τριών" not in shown
    assert "Ωφελούμενος/η (το όνομα δεν εμφανίζεται)" in shown
    assert "Κρυπτογραφημένο (δεν εμφανίζεται)" in shown
    assert "<dd>Ελάχιστο Εγγυημένο Εισόδημα (ΕΕΕ)</dd>" in shown  # the facts in clear are shown
    assert steps_offered(shown, request) == set()
    assert page(api, f"/t/sofades/requests/{request}/progress", 403)
    refused = post(
        api, f"/t/sofades/requests/{request}/progress", {"command_id": "web-auditor-step", "occurred_on": STEP_DAY}
    )
    assert refused.status_code == 403
    assert events(api) == before  # no look at personal data, nothing recorded


def test_a_step_on_an_erased_persons_entry_is_refused_in_greek(api: Api) -> None:
    sign_in(api, "coord.sof")
    her = new_person(api)
    request = new_entry(api, her, "request", category="gmi", notes="Σημείωση")
    drawn = page(api, f"/t/sofades/requests/{request}/progress")
    assert erase(api, her).status_code == 200
    shown = page(api, f"/t/sofades/requests/{request}")
    assert "Τα προσωπικά δεδομένα του ωφελούμενου έχουν διαγραφεί" in shown
    assert "Σημείωση" not in shown
    assert "Διαγράφηκε" in shown
    assert steps_offered(shown, request) == set()
    assert "έχουν διαγραφεί" in page(api, f"/t/sofades/requests/{request}/progress", 409)
    before = events(api)
    refused = post(
        api,
        f"/t/sofades/requests/{request}/progress",
        {"command_id": command_id(drawn), "expected_version": version(drawn), "occurred_on": STEP_DAY},
    )
    assert refused.status_code == 409
    assert "Τα προσωπικά δεδομένα αυτού του ωφελούμενου έχουν διαγραφεί" in refused.text
    assert events(api) == before + 1  # only the form's look


def test_the_persons_page_links_to_every_entry_and_each_look_is_logged(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    her = new_person(api)
    request = new_entry(api, her, "request", category="gmi")
    key = form(api, "/t/sofades/record/activity", beneficiary=her)
    session = {
        "command_id": key,
        "beneficiary_ids": her,
        "structure": "centre",
        "occurred_on": DAY,
        "kind": "counselling_session",
    }
    assert post(api, "/t/sofades/record/activity", session).status_code == 303
    shown = page(api, f"/t/sofades/people/{her}")
    assert f'href="/t/sofades/requests/{request}"' in shown
    activity = re.search(r'href="/t/sofades/activities/([0-9a-f-]{36})">Συνεδρία συμβουλευτικής</a>', shown)
    assert activity, "the activities she took part in are listed"
    assert "<dt>Φύλο</dt><dd>Γυναίκα</dd>" in shown  # the ESF entry profile, for her caseworker
    session_page = page(api, f"/t/sofades/activities/{activity.group(1)}")
    assert f'href="/t/sofades/people/{her}">Ελένη Σταματοπούλου</a>' in session_page
    log = read_log(api.kentra.casework("sofades"))
    looks = {e.endpoint for e in log if type(e).__qualname__ == f"{PersonalDataAccess.__name__}.Recorded"}
    assert {"GET /t/{tenant}/people/{id}", "GET /t/{tenant}/activities/{id}"} <= looks


def test_a_closed_request_is_reopened_for_a_reason_and_the_timeline_names_who_by_full_name(api: Api) -> None:
    assert api.kentra.accounts.set_full_name("cw.sof.centre", "Μαρία Γεωργίου")
    sign_in(api, "cw.sof.centre")
    her = new_person(api)
    request = new_entry(api, her, "request", category="gmi")
    where = f"/t/sofades/requests/{request}"
    assert "reopen" not in steps_offered(page(api, where), request)  # an open request is not reopened
    done(step(api, f"{where}/close", occurred_on="2024-05-20"))
    assert "reopen" in steps_offered(page(api, where), request)
    before = events(api)
    no_reason = step(api, f"{where}/reopen", occurred_on=STEP_DAY)
    assert no_reason.status_code == 422
    assert "Λόγος επανανοίγματος: Συμπληρώστε αυτό το πεδίο." in no_reason.text
    assert events(api) == before + 2  # the two forms' looks at the person, nothing recorded
    done(step(api, f"{where}/reopen", occurred_on=STEP_DAY, reason="Ο ΟΠΕΚΑ επανεξετάζει την αίτηση"))
    shown = page(api, where)
    assert "<dd>Σε εξέλιξη</dd>" in shown
    timeline = shown.split('id="timeline"')[1]
    assert re.findall(r"<h3>([^<]+)</h3>", timeline)[:2] == ["Επανάνοιγμα αιτήματος", "Κλείσιμο αιτήματος"]
    assert "Ο ΟΠΕΚΑ επανεξετάζει την αίτηση" in timeline
    assert "<dd>Μαρία Γεωργίου</dd>" in timeline
    assert "<dd>cw.sof.centre</dd>" not in timeline


def test_a_prosecutor_ordered_investigation_is_recorded_with_its_order_and_its_page_shows_it(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    her = new_person(api)
    key = form(api, "/t/sofades/record/home_visit", beneficiary=her)
    ordered = {"command_id": key, "beneficiary_id": her, "occurred_on": DAY, "purpose": "prosecutor_ordered"}
    before = events(api)
    missing = post(api, "/t/sofades/record/home_visit", ordered)
    assert missing.status_code == 422
    assert 'id="f-order_reference-error"' in missing.text
    assert events(api) == before
    full = {**ordered, "order_reference": "ΕΙΣ/Καρδ/2024/118", "order_deadline": "2024-06-30"}
    assert post(api, "/t/sofades/record/home_visit", full).status_code == 303
    visit = re.search(r'href="/t/sofades/home-visits/([0-9a-f-]{36})"', page(api, f"/t/sofades/people/{her}"))
    assert visit
    shown = page(api, f"/t/sofades/home-visits/{visit.group(1)}")
    assert "<dt>Αριθμός εισαγγελικής παραγγελίας</dt><dd>ΕΙΣ/Καρδ/2024/118</dd>" in shown
    assert "<dt>Προθεσμία εισαγγελικής παραγγελίας</dt><dd>30/06/2024</dd>" in shown


def test_a_person_given_from_the_roma_branch_shows_the_centre_nothing_recorded_there(api: Api) -> None:
    sign_in(api, "cw.sof.roma")
    roma = new_person(api, "roma-branch", **{"personal.amka": "", "personal.first_name": "Ζωή"})
    given = {"worker": "cw.sof.centre", "structure": "centre", "reason": "Μετακόμισε στην πόλη", "occurred_on": DAY}
    answer = api.post("coord.sof", f"/beneficiaries/{roma}/assignment", given, key="give-zoi-to-the-centre")
    assert answer.status_code == 201, answer.text
    sign_in(api, "cw.sof.centre")
    shown = page(api, f"/t/sofades/people/{roma}")
    assert "<dt>Υπεύθυνος/η της υπόθεσης</dt><dd>cw.sof.centre</dd>" in shown
    timeline = shown.split('id="timeline"')[1]
    assert re.findall(r"<h3>([^<]+)</h3>", timeline) == ["Ανάθεση της υπόθεσης"]  # not the Roma branch's intake
    assert "cw.sof.roma" not in shown
    assert "Μετακόμισε στην πόλη" in timeline  # the reason was written for the receiving structure
    assert f'href="/t/sofades/people/{roma}/responsible"' in shown
    assert api.client.get(f"/t/sofades/people/{roma}/responsible").status_code == 200  # not taken for a step
