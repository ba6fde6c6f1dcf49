"""Documents on the pages (issue 23): the person's page lists them and carries the upload form, an
entry's page lists its own; the link downloads the file (recorded); refusals come back in Greek
beside the form; CSRF, another structure, an uncleared auditor and an erasure each get nothing."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from tests.e2e.conftest import Api
from tests.e2e.test_documents_api import attached, downloads, register
from tests.e2e.test_web import csrf, sign_in
from tests.unit.test_documents import HTML, PDF, PNG

FILENAME = "Ταυτότητα Παπαδοπούλου.pdf"


def send(
    api: Api, person: UUID, data: bytes = PDF, name: str = FILENAME, token: str | None = None, **fields: str
) -> Any:
    page = f"/t/sofades/people/{person}"
    form = {
        "csrf_token": csrf(api, page) if token is None else token,
        "document_kind": "identity_card",
        "document_date": "15/01/2020",
        **fields,
    }
    media = "image/png" if name.endswith(".png") else "application/pdf"
    return api.client.post(f"{page}/documents", data=form, files={"file": (name, data, media)}, follow_redirects=False)


def test_a_caseworker_attaches_a_document_on_the_persons_page_and_downloads_it(api: Api) -> None:
    person = register(api)
    sign_in(api, "cw.sof.centre")
    page = api.client.get(f"/t/sofades/people/{person}").text
    assert 'enctype="multipart/form-data"' in page
    assert "Έγγραφα" in page
    sent = send(api, person)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].endswith("?done=document#documents")
    page = api.client.get(sent.headers["location"].split("#")[0]).text
    assert FILENAME in page
    assert "Αστυνομική ταυτότητα" in page
    assert "Το έγγραφο επισυνάφθηκε." in page
    link = re.search(r'href="(/t/sofades/documents/[0-9a-f-]{36})" download', page)
    assert link
    before = downloads(api, person)
    got = api.client.get(link.group(1))
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert downloads(api, person) == before + 1


def test_an_image_is_viewed_inline_and_a_pdf_only_downloaded(api: Api) -> None:
    person = register(api)
    image = attached(api, person, data=PNG, name="scan.png", media_type="image/png")
    pdf = attached(api, person)
    sign_in(api, "cw.sof.centre")
    shown = api.client.get(f"/t/sofades/documents/{image}", params={"view": "1"})
    assert shown.headers["content-disposition"].startswith("inline;")
    assert "sandbox" in shown.headers["content-security-policy"]
    kept = api.client.get(f"/t/sofades/documents/{pdf}", params={"view": "1"})
    assert kept.headers["content-disposition"].startswith("attachment;")


def test_an_html_file_named_pdf_comes_back_with_the_reason_in_greek(api: Api) -> None:
    person = register(api)
    sign_in(api, "cw.sof.centre")
    sent = send(api, person, data=HTML, name="scan.pdf")
    assert sent.status_code == 303
    assert "document_error=file" in sent.headers["location"]
    page = api.client.get(sent.headers["location"].split("#")[0]).text
    assert "δεκτά μόνο PDF, JPEG και PNG" in page
    assert "scan.pdf" not in page
    assert "Κανένα έγγραφο." in page


def test_a_future_document_date_is_refused_naming_the_field(api: Api) -> None:
    person = register(api)
    sign_in(api, "cw.sof.centre")
    sent = send(api, person, document_date="01/01/2099")
    assert "document_error=document_date" in sent.headers["location"]


def test_an_upload_without_the_forms_csrf_token_is_refused(api: Api) -> None:
    person = register(api)
    sign_in(api, "cw.sof.centre")
    sent = send(api, person, token="forged")
    assert sent.status_code == 403
    page = api.client.get(f"/t/sofades/people/{person}").text
    assert "Κανένα έγγραφο." in page


def test_a_requests_page_lists_the_documents_attached_to_it(api: Api) -> None:
    person = register(api)
    opened = api.post(
        "cw.sof.centre",
        "/requests",
        {"beneficiary_id": str(person), "category": "gmi", "structure": "centre", "occurred_on": "2024-05-03"},
    )
    request = opened.json()["entry_id"]
    sign_in(api, "cw.sof.centre")
    page = api.client.get(f"/t/sofades/requests/{request}").text
    assert 'name="entry_id"' in page
    sent = send(api, person, entry_id=request)
    assert sent.headers["location"].startswith(f"/t/sofades/requests/{request}?done=document")
    assert FILENAME in api.client.get(f"/t/sofades/requests/{request}").text
    assert FILENAME in api.client.get(f"/t/sofades/people/{person}").text


def test_a_caseworker_of_the_roma_branch_gets_no_centre_document(api: Api) -> None:
    person = register(api)
    document = attached(api, person)
    sign_in(api, "cw.sof.roma")
    assert api.client.get(f"/t/sofades/documents/{document}").status_code == 404
    sent = send(api, person, token=csrf(api))
    assert sent.status_code in (403, 404)


def test_an_auditor_without_clearance_sees_no_filename_and_gets_no_file(api: Api) -> None:
    person = register(api)
    document = attached(api, person, name=FILENAME)
    sign_in(api, "auditor.sof")
    page = api.client.get(f"/t/sofades/people/{person}").text
    assert FILENAME not in page
    assert api.client.get(f"/t/sofades/documents/{document}").status_code == 404


def test_after_erasure_the_page_shows_no_filename_and_the_link_answers_gone_in_greek(api: Api) -> None:
    person = register(api)
    document = attached(api, person, name=FILENAME)
    erased = api.post(
        "coord.sof", f"/beneficiaries/{person}/erasure", {"reason": "asked", "legal_ground": "GDPR Art. 17"}
    )
    assert erased.status_code in (200, 201), erased.text
    sign_in(api, "coord.sof")
    page = api.client.get(f"/t/sofades/people/{person}").text
    assert FILENAME not in page
    gone = api.client.get(f"/t/sofades/documents/{document}")
    assert gone.status_code == 404
    assert "δεν είναι πια διαθέσιμο" in gone.text
    assert FILENAME not in gone.text
