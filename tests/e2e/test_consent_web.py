"""The section "Ενημέρωση και συναίνεση" of a person's page and the referral form's consent (issue 23),
through the application: recorded in Greek forms with CSRF, refused with the reason beside the field and
nothing half-written, and shown only to those who see the person."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import Api, intake_body
from tests.e2e.test_web import csrf, sign_in, sign_out
from tests.e2e.test_web_forms import events, post


def person(api: Api, structure: str = "centre") -> str:
    answer = api.post("coord.sof", "/beneficiaries", intake_body(structure=structure, personal__amka=None))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["entry_id"])


def page(api: Api, who: str) -> str:
    shown = api.client.get(f"/t/sofades/people/{who}")
    assert shown.status_code == 200, shown.text
    return str(shown.text)


def key(text: str, suffix: str) -> str:
    found = re.search(rf'name="command_id" value="([^"]+-{suffix})"', text)
    assert found, f"a form with a command id ending -{suffix}"
    return found.group(1)


def send(api: Api, who: str, path: str, fields: dict[str, Any], suffix: str) -> Any:
    return post(api, f"/t/sofades/people/{who}/{path}", {"command_id": key(page(api, who), suffix), **fields})


def test_a_caseworker_records_information_and_a_consent_and_withdraws_it_from_the_persons_page(api: Api) -> None:
    her = person(api)
    sign_in(api, "cw.sof.centre")
    text = page(api, her)
    assert "Ενημέρωση και συναίνεση" in text
    assert "Δεν έχει καταγραφεί ενημέρωση" in text
    assert '<option value="2018-05" selected>' in text  # the notice in force today, preselected
    told = send(api, her, "information", {"occurred_on": "02/05/2024", "notice_version": "2018-05"}, "i")
    assert told.status_code == 303, told.text
    assert told.headers["location"] == f"/t/sofades/people/{her}?done=information#consent"
    text = api.client.get(told.headers["location"]).text
    assert "Η ενημέρωση καταγράφηκε." in text
    assert "Δεν έχει καταγραφεί ενημέρωση" not in text
    assert "<strong>02/05/2024</strong>" in text
    fields = {"purpose": "sharing_with_agency", "agency": "ngo", "given_as": "signed_form", "occurred_on": "03/05/2024"}
    assert send(api, her, "consents", fields, "c").status_code == 303
    text = page(api, her)
    assert "Μη κυβερνητική οργάνωση" in text
    assert "Υπογεγραμμένο έντυπο" in text
    withdrawal = re.search(r'action="(/t/sofades/people/[^"]+/consents/[^"]+/withdrawal)"', text)
    assert withdrawal is not None
    gone = post(api, withdrawal.group(1), {"command_id": key(text, "w1"), "occurred_on": "01/06/2024"})
    assert gone.status_code == 303, gone.text
    assert "Ανακλήθηκε στις 01/06/2024" in page(api, her)


def test_a_consent_form_with_mistakes_is_drawn_again_in_greek_and_records_nothing(api: Api) -> None:
    her = person(api)
    sign_in(api, "cw.sof.centre")
    before = events(api)
    fields = {"purpose": "sharing_with_agency", "given_as": "signed_form", "occurred_on": "03/05/2024"}
    refused = send(api, her, "consents", fields, "c")
    assert refused.status_code == 422
    assert "Ο φορέας δίνεται μόνο, και πάντα, για συναίνεση σε διαβίβαση" in refused.text
    told = send(api, her, "information", {"occurred_on": "02/05/2024", "notice_version": "1999"}, "i")
    assert told.status_code == 422
    assert "Επιλέξτε μια έκδοση του ενημερωτικού" in told.text
    # Only looks: two at the person's page (for each form's id) and two at the page drawn again.
    assert events(api) == before + 4
    assert (
        api.client.get(f"/api/v1/tenants/sofades/beneficiaries/{her}/privacy", headers=api.headers("coord.sof")).json()[
            "consents"
        ]
        == []
    )


def test_a_referral_to_an_ngo_asks_for_consent_in_greek_and_records_it_with_the_referral(api: Api) -> None:
    her = person(api)
    sign_in(api, "cw.sof.centre")
    form = api.client.get("/t/sofades/record/referral", params={"beneficiary": her})
    assert "Συναίνεση για διαβίβαση στον φορέα" in form.text
    referral_key = re.search(r'name="command_id" value="([^"]+)"', form.text)
    assert referral_key is not None
    fields = {
        "command_id": referral_key.group(1),
        "beneficiary_id": her,
        "structure": "centre",
        "occurred_on": "10/06/2024",
        "destination": "ngo",
    }
    before = events(api)
    refused = post(api, "/t/sofades/record/referral", fields)
    assert refused.status_code == 422
    assert "Λείπει η συναίνεση" in refused.text
    assert events(api) == before  # nothing recorded
    sent = post(api, "/t/sofades/record/referral", {**fields, "consent.given_as": "orally_recorded"})
    assert sent.status_code == 303, sent.text
    text = page(api, her)
    assert "Προφορικά, με καταγραφή" in text
    assert "Μη κυβερνητική οργάνωση" in text


def test_the_section_is_not_shown_to_an_uncleared_auditor_nor_to_the_other_structure(api: Api) -> None:
    her = person(api)
    body = {"occurred_on": "2024-05-03", "purpose": "sharing_with_agency", "agency": "ngo", "given_as": "signed_form"}
    assert api.post("coord.sof", f"/beneficiaries/{her}/consents", body).status_code == 201
    sign_in(api, "auditor.sof")
    text = page(api, her)
    assert "Υπογεγραμμένο έντυπο" not in text
    assert "Η ενημέρωση και οι συναινέσεις του προσώπου δεν εμφανίζονται" in text
    assert f'action="/t/sofades/people/{her}/consents"' not in text
    refused = api.client.post(
        f"/t/sofades/people/{her}/consents",
        data={
            "csrf_token": csrf(api),
            **{k: v for k, v in body.items() if k != "occurred_on"},
            "occurred_on": "03/05/2024",
        },
        follow_redirects=False,
    )
    assert refused.status_code == 403
    sign_out(api)
    sign_in(api, "cw.sof.roma")
    assert api.client.get(f"/t/sofades/people/{her}").status_code == 404
    assert api.client.get(f"/t/sofades/people/{her}/consent").status_code == 404
    fields = {"purpose": "photos_at_events", "given_as": "signed_form", "occurred_on": "03/05/2024"}
    sneaked = post(api, f"/t/sofades/people/{her}/consents", fields)
    assert sneaked.status_code == 404
    privacy = api.client.get(f"/api/v1/tenants/sofades/beneficiaries/{her}/privacy", headers=api.headers("coord.sof"))
    assert [c["purpose"] for c in privacy.json()["consents"]] == ["sharing_with_agency"]


def test_after_an_erasure_the_persons_page_shows_nothing_of_their_consents(api: Api) -> None:
    her = person(api)
    body = {"occurred_on": "2024-05-03", "purpose": "contact_by_sms", "given_as": "orally_recorded"}
    assert api.post("coord.sof", f"/beneficiaries/{her}/consents", body).status_code == 201
    erased = api.client.post(
        f"/api/v1/tenants/sofades/beneficiaries/{her}/erasure",
        json={"reason": "ζήτησε", "legal_ground": "ΓΚΠΔ 17"},
        headers=api.headers("coord.sof"),
    )
    assert erased.status_code == 200, erased.text
    sign_in(api, "coord.sof")
    text = api.client.get(f"/t/sofades/people/{her}").text
    assert "Επικοινωνία με SMS" not in text
    assert "Προφορικά, με καταγραφή" not in text
    assert f'action="/t/sofades/people/{her}/consents"' not in text
