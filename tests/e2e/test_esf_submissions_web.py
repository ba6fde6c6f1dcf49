"""ESF submissions in the pages (issue 21): the coordinator submits from a form, a correction through
the pages warns that a submitted period is touched, the list says «Αναθεωρήθηκε» and the restatement
names the cells and events in Greek; the auditor reads them from her audit page; others are refused."""

from __future__ import annotations

import re

from tests.e2e.conftest import Api
from tests.e2e.test_web import csrf, sign_in
from tests.e2e.test_web_entries import done, page, step
from tests.e2e.test_web_forms import PERSON, events, intake, post, registered

TERMS = {"operation": "2014-2020", "from": "01/07/2022", "to": "31/12/2022", "submitted_on": "20/01/2023"}
WARNING = "Η διόρθωση αφορά περίοδο που έχει υποβληθεί (ΟΠΣ 5002786, 01/07/2022–31/12/2022): η υποβολή θα αναθεωρηθεί"


def _submit(api: Api, **terms: str) -> object:
    drawn = page(api, "/t/sofades/esf/submissions")
    key = re.search(r'name="command_id" value="([^"]+)"', drawn)
    assert key, "the submit form carries its command id"
    return post(api, "/t/sofades/esf/submissions", {"command_id": key.group(1), **TERMS, **terms})


def test_a_coordinator_submits_a_correction_warns_and_the_restatement_names_cells_and_events(api: Api) -> None:
    sign_in(api, "coord.sof")
    her = registered(intake(api, occurred_on="10/08/2022", confirmed_new="yes"))
    submitted = _submit(api, reference="ΑΠ 77/2023")
    where = done(submitted)
    assert where.endswith("?done=submitted")
    shown = page(api, where)
    assert "Η υποβολή καταχωρίστηκε." in shown
    assert "<strong>Ισχύει</strong>" in shown
    listed = page(api, "/t/sofades/esf/submissions")
    assert "<td>20/01/2023</td>" in listed  # the day it was delivered, beside the day it was recorded here
    assert "Ισχύει" in listed
    assert "<strong>Αναθεωρήθηκε</strong>" not in listed

    fields = {k: v for k, v in PERSON.items() if k.startswith("personal.")}
    changed = {
        **fields,
        "changes.profile.employment_status": "employed",
        "changes.profile.homeless_or_housing_exclusion": "on",
    }
    location = done(step(api, f"/t/sofades/people/{her}/amend", **changed, reason="typing_error"))
    assert location.endswith("warn=esf")
    assert WARNING in page(api, location)

    listed = page(api, "/t/sofades/esf/submissions")
    assert "<strong>Αναθεωρήθηκε</strong>" in listed
    report = page(api, where)
    assert "CO01 άνεργοι, συμπεριλαμβανομένων των μακροχρόνια ανέργων · Γυναίκες" in report
    assert "CO05 εργαζόμενοι, συμπεριλαμβανομένων των αυτοαπασχολούμενων · Γυναίκες" in report
    assert "Διόρθωση (Λάθος πληκτρολόγησης)" in report
    assert "Σταματοπούλου" not in report  # no personal data in the restatement
    assert her not in report
    delivery = page(api, "/t/sofades/esf?operation=2014-2020&from=01/07/2022&to=31/12/2022")
    assert WARNING in delivery
    assert "Υποβολή στη διαχειριστική αρχή" in delivery


def test_a_contact_details_correction_warns_of_nothing(api: Api) -> None:
    sign_in(api, "coord.sof")
    her = registered(intake(api, occurred_on="10/08/2022", confirmed_new="yes"))
    done(_submit(api))
    fields = {k: v for k, v in PERSON.items() if k.startswith("personal.")}
    location = done(
        step(
            api,
            f"/t/sofades/people/{her}/amend",
            **{**fields, "personal.phone": "6999999999", "changes.profile.homeless_or_housing_exclusion": "on"},
            reason="new_information",
        )
    )
    assert "warn=esf" not in location
    assert "η υποβολή θα αναθεωρηθεί" not in page(api, location)


def test_a_refused_submission_records_nothing_and_keeps_what_was_typed(api: Api) -> None:
    sign_in(api, "coord.sof")
    before = events(api)
    refused = _submit(api, **{"from": "01/07/2023", "to": "30/06/2024", "reference": "ΑΠ 9"})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    text = refused.text  # type: ignore[attr-defined]
    assert "δεν είναι ολόκληρη μέσα στην πράξη 5002786" in text
    assert 'value="01/07/2023"' in text
    assert 'value="ΑΠ 9"' in text
    assert events(api) == before


def test_the_auditor_reaches_the_submissions_from_her_audit_page_and_may_not_submit(api: Api) -> None:
    sign_in(api, "coord.sof")
    registered(intake(api, occurred_on="10/08/2022", confirmed_new="yes"))
    where = done(_submit(api))
    sign_in(api, "auditor.sof")
    assert 'href="/t/sofades/esf/submissions"' in page(api, "/t/sofades/audit")
    listed = page(api, "/t/sofades/esf/submissions")
    assert "Ισχύει" in listed
    assert "Υποβολή στη διαχειριστική αρχή" not in listed  # no form for her
    assert "<strong>Ισχύει</strong>" in page(api, where.split("?")[0])
    before = events(api)
    forged = post(api, "/t/sofades/esf/submissions", {"command_id": "forged", **TERMS})
    assert forged.status_code == 403
    assert events(api) == before


def test_caseworkers_analysts_and_other_tenants_are_refused(api: Api) -> None:
    sign_in(api, "coord.sof")
    registered(intake(api, occurred_on="10/08/2022", confirmed_new="yes"))
    where = done(_submit(api)).split("?")[0]
    for user in ("cw.sof.centre", "cw.sof.roma", "analyst.thessaly", "coord.kar", "auditor.pyl"):
        sign_in(api, user)
        for path in ("/t/sofades/esf/submissions", where):
            answer = api.client.get(path)
            assert answer.status_code == 403, (user, path)
            assert "5002786" not in answer.text
        before = events(api)
        answer = api.client.post(
            "/t/sofades/esf/submissions", data={"csrf_token": csrf(api), "command_id": f"x-{user}", **TERMS}
        )
        assert answer.status_code == 403, user
        assert events(api) == before
