"""Information and consent over the API (issue 23): who may read and record them, referrals that need
consent, and what is left of them after an erasure; each attack answered as it should be."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from domain.consent import PrivacyRecord, privacy_record_id
from services import consent
from tests.conftest import StoreUnderTest, command, intake
from tests.e2e.conftest import Api, intake_body

PEOPLE = "/api/v1/tenants/sofades/beneficiaries"
CONSENT = {"occurred_on": "2024-05-03", "purpose": "sharing_with_agency", "agency": "ngo", "given_as": "signed_form"}


def person(api: Api, structure: str = "centre") -> str:
    body = intake_body(structure=structure, personal__amka=None)
    answer = api.post("coord.sof", "/beneficiaries", body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["entry_id"])


def privacy(api: Api, user: str, who: str, tenant: str = "sofades") -> Any:
    return api.client.get(f"/api/v1/tenants/{tenant}/beneficiaries/{who}/privacy", headers=api.headers(user))


def give(api: Api, user: str, who: str, **fields: Any) -> Any:
    return api.post(user, f"/beneficiaries/{who}/consents", {**CONSENT, **fields})


def refer(api: Api, user: str, who: str, destination: str, **fields: Any) -> Any:
    body = {"beneficiary_id": who, "destination": destination, "structure": "centre", "occurred_on": "2024-06-10"}
    return api.post(user, "/referrals", {**body, **fields})


def events(api: Api) -> int:
    return api.kentra.casework("sofades").recorder.max_notification_id() or 0


def test_a_caseworker_records_information_and_a_consent_and_withdraws_it(api: Api) -> None:
    her = person(api)
    told = api.post(
        "cw.sof.centre", f"/beneficiaries/{her}/information", {"occurred_on": "2024-05-02", "notice_version": "2018-05"}
    )
    assert told.status_code == 201, told.text
    given = give(api, "cw.sof.centre", her)
    assert given.status_code == 201, given.text
    consent_id = given.json()["consent_id"]
    shown = privacy(api, "cw.sof.centre", her).json()
    assert [(i["on"], i["notice_version"]) for i in shown["informed"]] == [("2024-05-02", "2018-05")]
    assert [(c["consent_id"], c["agency"], c["active"]) for c in shown["consents"]] == [(consent_id, "ngo", True)]
    assert shown["current_notice"] == "2018-05"
    gone = api.post(
        "cw.sof.centre", f"/beneficiaries/{her}/consents/{consent_id}/withdrawal", {"occurred_on": "2024-06-01"}
    )
    assert gone.status_code == 201, gone.text
    (withdrawn,) = privacy(api, "cw.sof.centre", her).json()["consents"]
    assert (withdrawn["withdrawn_on"], withdrawn["active"]) == ("2024-06-01", False)


def test_an_unknown_notice_version_is_refused_naming_the_field(api: Api) -> None:
    her = person(api)
    refused = api.post(
        "cw.sof.centre", f"/beneficiaries/{her}/information", {"occurred_on": "2024-05-02", "notice_version": "1999"}
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "notice_version"


@pytest.mark.parametrize("user", ["coord.kar", "analyst.thessaly", "auditor.sof", "auditor.pyl", "admin"])
def test_no_one_outside_the_persons_staff_reads_their_consents(api: Api, user: str) -> None:
    her = person(api)
    assert give(api, "coord.sof", her).status_code == 201
    answer = privacy(api, user, her)
    assert answer.status_code in (403, 404), (user, answer.text)
    assert "ngo" not in answer.text
    assert "signed_form" not in answer.text


def test_a_caseworker_of_the_other_structure_neither_reads_nor_records_a_persons_consents(api: Api) -> None:
    her = person(api, "centre")
    assert privacy(api, "cw.sof.roma", her).status_code == 404
    assert give(api, "cw.sof.roma", her).status_code == 404
    refused = api.post(
        "cw.sof.roma", f"/beneficiaries/{her}/information", {"occurred_on": "2024-05-02", "notice_version": "2018-05"}
    )
    assert refused.status_code == 404
    assert privacy(api, "coord.sof", her).json()["consents"] == []


@pytest.mark.parametrize("user", ["coord.kar", "analyst.thessaly", "auditor.sof", "admin"])
def test_no_one_outside_the_persons_staff_records_a_consent(api: Api, user: str) -> None:
    her = person(api)
    assert give(api, user, her).status_code == 403
    assert privacy(api, "coord.sof", her).json()["consents"] == []


def test_a_referral_to_an_ngo_without_consent_is_refused_and_nothing_is_recorded(api: Api) -> None:
    her = person(api)
    before = events(api)
    refused = refer(api, "cw.sof.centre", her, "ngo")
    assert refused.status_code == 409
    assert refused.json()["error"] == "ConsentRequiredError"
    assert refused.json()["field"] == "consent.given_as"
    assert events(api) == before
    assert refer(api, "cw.sof.centre", her, "opeka").status_code == 201  # a public body under a legal duty


def test_a_referral_carrying_the_consent_records_both_and_a_withdrawal_refuses_the_next(api: Api) -> None:
    her = person(api)
    sent = refer(api, "cw.sof.centre", her, "ngo", consent={"given_as": "orally_recorded"})
    assert sent.status_code == 201, sent.text
    (given,) = privacy(api, "cw.sof.centre", her).json()["consents"]
    assert (given["agency"], given["given_as"], given["given_on"]) == ("ngo", "orally_recorded", "2024-06-10")
    assert refer(api, "cw.sof.centre", her, "social_structure").status_code == 409  # agency A does not cover B
    path = f"/beneficiaries/{her}/consents/{given['consent_id']}/withdrawal"
    assert api.post("cw.sof.centre", path, {"occurred_on": "2024-06-11"}).status_code == 201
    assert refer(api, "cw.sof.centre", her, "ngo", occurred_on="2024-06-12").status_code == 409


def test_after_an_erasure_nothing_of_the_consents_shows_and_a_new_one_is_refused(api: Api) -> None:
    her = person(api)
    api.post(
        "coord.sof", f"/beneficiaries/{her}/information", {"occurred_on": "2024-05-02", "notice_version": "2018-05"}
    )
    assert give(api, "coord.sof", her).status_code == 201
    document = api.client.get(f"{PEOPLE}/{her}/subject-access", headers=api.headers("coord.sof")).json()
    assert [c["agency"] for c in document["privacy"]["consents"]] == ["ngo"]
    assert [i["notice_version"] for i in document["privacy"]["informed"]] == ["2018-05"]
    erased = api.client.post(
        f"{PEOPLE}/{her}/erasure",
        json={"reason": "ζήτησε", "legal_ground": "ΓΚΠΔ 17"},
        headers=api.headers("coord.sof"),
    )
    assert erased.status_code == 200, erased.text
    shown = privacy(api, "coord.sof", her)
    assert shown.status_code == 200
    assert (shown.json()["informed"], shown.json()["consents"]) == ([], [])
    document = api.client.get(f"{PEOPLE}/{her}/subject-access", headers=api.headers("coord.sof")).json()
    assert document["privacy"] == {"informed": [], "consents": []}
    assert "sharing_with_agency" not in str(document)
    refused = give(api, "coord.sof", her)
    assert refused.status_code == 409
    assert refused.json()["error"] == "BeneficiaryErasedError"


def test_what_a_consent_says_is_in_no_stored_file_in_clear(api: Api) -> None:
    her = person(api)
    assert give(api, "coord.sof", her, agency="social_structure", given_as="orally_recorded").status_code == 201
    files = [stored.read_bytes() for stored in api.kentra.settings.data_dir.rglob("*") if stored.is_file()]
    assert any(b"PrivacyRecord.ConsentGiven" in data for data in files)  # the event is there, its topic in clear
    for data in files:
        assert b"orally_recorded" not in data
        assert b"social_structure" not in data


def test_on_either_store_an_erasure_leaves_nothing_of_the_consents_readable(store: StoreUnderTest) -> None:
    casework = store.casework
    her = casework.execute(intake(personal__amka=None)).entry_id
    on = {"beneficiary_id": str(her), "occurred_on": "2024-05-03"}
    casework.execute(command(command="record_information", notice_version="2018-05", **on))
    casework.execute(
        command(
            command="give_consent",
            purpose="sharing_with_agency",
            agency="social_structure",
            given_as="orally_recorded",
            **on,
        )
    )
    assert [c["agency"] for c in consent.privacy_document(casework, her)["consents"]] == ["social_structure"]
    rows = casework.recorder.select_notifications(start=None, limit=100_000, inclusive_of_start=False)
    assert any(b"ConsentGiven" in row.topic.encode() for row in rows)
    assert not any(b"orally_recorded" in row.state or b"social_structure" in row.state for row in rows)
    store.kentra.erase(store.tenant.id, her, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
    fresh = store.fresh_casework()  # another process: nothing kept in memory helps it
    assert consent.privacy_document(fresh, her) == {"informed": [], "consents": []}
    record = fresh.entry(privacy_record_id(her))
    assert isinstance(record, PrivacyRecord)
    assert [fresh.vault.unseal(row["sealed"]) for row in record.consents.values()] == [None]
    assert [fresh.vault.unseal(row["sealed"]) for row in record.informed] == [None]


def test_the_subject_access_pdf_lists_the_consents_in_greek(api: Api) -> None:
    her = person(api)
    assert give(api, "coord.sof", her, agency="social_structure").status_code == 201
    pdf = api.client.get(f"{PEOPLE}/{her}/subject-access", params={"format": "pdf"}, headers=api.headers("coord.sof"))
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Ενημέρωση (άρθρο 13 ΓΚΠΔ) και συναινέσεις" in text
    assert "social_structure" in text
