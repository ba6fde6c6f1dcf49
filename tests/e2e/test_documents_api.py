"""Documents over the API (issue 23): attach by multipart upload, list, download; what another tenant,
another structure, a regional analyst and an auditor without clearance get (nothing), what an
erasure leaves (nothing to open), the headers a download carries, and the limits on the upload."""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Any
from urllib.parse import unquote
from uuid import UUID, uuid4

import pytest

from domain.access_log import PersonalDataAccess
from domain.identifiers import make_amka
from gateways.downloads import download_headers
from services import documents
from services.casework import read_log
from tests.e2e.conftest import Api, intake_body
from tests.fakes import InMemoryDocumentStore
from tests.unit.test_documents import HTML, PDF, PNG

TENANT = "/api/v1/tenants/sofades"
SERIALS = itertools.count(3000)


@pytest.fixture
def docs(api: Api) -> Api:
    """The API with a document store (the installation's own once wired; in memory otherwise)."""
    casework = api.kentra.casework("sofades")
    if casework.documents is None:
        casework.documents = InMemoryDocumentStore()
    return api


def register(api: Api, structure: str = "centre") -> UUID:
    amka = make_amka(date(1979, 3, 4), next(SERIALS))
    response = api.post("coord.sof", "/beneficiaries", intake_body(structure=structure, personal__amka=amka))
    assert response.status_code == 201, response.text
    return UUID(response.json()["entry_id"])


def upload(
    api: Api,
    person: UUID,
    *,
    user: str = "cw.sof.centre",
    data: bytes = PDF,
    name: str = "Εκκαθαριστικό 2023.pdf",
    media_type: str = "application/pdf",
    key: str | None = None,
    **fields: Any,
) -> Any:
    form = {"beneficiary_id": str(person), "document_kind": "tax_statement", "document_date": "2024-04-30", **fields}
    return api.client.post(
        f"{TENANT}/documents",
        data=form,
        files={"file": (name, data, media_type)},
        headers=api.headers(user, key or f"doc-{uuid4()}"),
    )


def attached(api: Api, person: UUID, **kwargs: Any) -> UUID:
    response = upload(api, person, **kwargs)
    assert response.status_code == 201, response.text
    return UUID(response.json()["entry_id"])


def content(api: Api, document: UUID, user: str = "cw.sof.centre") -> Any:
    return api.client.get(f"{TENANT}/documents/{document}/content", headers=api.headers(user))


def downloads(api: Api, person: UUID) -> int:
    recorded: type[Any] = PersonalDataAccess.Recorded
    return len(
        [
            e
            for e in read_log(api.kentra.casework("sofades"))
            if isinstance(e, recorded) and e.beneficiary_id == person and e.endpoint == "document-download"
        ]
    )


def test_a_caseworker_attaches_lists_and_downloads_a_document(docs: Api) -> None:
    person = register(docs)
    document = attached(docs, person)
    listed = docs.client.get(
        f"{TENANT}/documents", params={"beneficiary_id": str(person)}, headers=docs.headers("cw.sof.centre")
    )
    assert listed.status_code == 200, listed.text
    [row] = listed.json()
    assert (row["id"], row["filename"], row["kind"], row["size"]) == (
        str(document),
        "Εκκαθαριστικό 2023.pdf",
        "tax_statement",
        len(PDF),
    )
    got = content(docs, document)
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["cache-control"] == "no-store"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Εκκαθαριστικό 2023.pdf"


def test_the_same_idempotency_key_attaches_one_document(docs: Api) -> None:
    person = register(docs)
    first = upload(docs, person, key="doc-api-retry-1")
    again = upload(docs, person, key="doc-api-retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["entry_id"] == again.json()["entry_id"]


def test_every_download_adds_one_row_to_the_access_log(docs: Api) -> None:
    person = register(docs)
    document = attached(docs, person)
    before = downloads(docs, person)
    for _ in range(2):
        assert content(docs, document).status_code == 200
    assert downloads(docs, person) == before + 2


def test_an_html_file_named_pdf_is_refused_naming_the_file(docs: Api) -> None:
    person = register(docs)
    response = upload(docs, person, data=HTML, name="scan.pdf")
    assert response.status_code == 422
    assert response.json()["field"] == "file"
    assert "Εκκαθαριστικό" not in response.text


def test_a_png_claimed_as_pdf_is_refused(docs: Api) -> None:
    person = register(docs)
    assert upload(docs, person, data=PNG, name="scan.pdf").status_code == 422


def test_a_file_just_over_the_limit_is_refused_with_413(docs: Api) -> None:
    person = register(docs)
    limit = docs.kentra.settings.document_max_bytes
    big = PDF[:-6] + b"0" * (limit - len(PDF) + 1) + b"%%EOF\n"
    assert len(big) == limit + 1
    response = upload(docs, person, data=big)
    assert response.status_code == 413
    listed = docs.client.get(
        f"{TENANT}/documents", params={"beneficiary_id": str(person)}, headers=docs.headers("coord.sof")
    )
    assert listed.json() == []


def test_a_body_far_over_the_limit_is_cut_off_by_the_middleware(docs: Api) -> None:
    person = register(docs)
    limit = docs.kentra.settings.document_max_bytes
    response = upload(docs, person, data=PDF + b"0" * (limit + 200_000))
    assert response.status_code == 413


def test_a_filename_with_folders_crlf_and_quotes_is_neutralised_in_the_header(docs: Api) -> None:
    person = register(docs)
    document = attached(docs, person, name='../../a"b\r\nSet-Cookie: x=1.pdf')
    got = content(docs, document)
    disposition = got.headers["content-disposition"]
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert ".." not in disposition
    fallback = disposition.split('filename="')[1].split('"')[0]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", fallback), fallback
    assert "set-cookie" not in {k.lower() for k in got.headers if k.lower() != "content-disposition"}


def test_a_caseworker_of_the_roma_branch_cannot_list_or_download_a_centre_document(docs: Api) -> None:
    person = register(docs)
    document = attached(docs, person)
    assert content(docs, document, "cw.sof.roma").status_code == 404
    listed = docs.client.get(
        f"{TENANT}/documents", params={"beneficiary_id": str(person)}, headers=docs.headers("cw.sof.roma")
    )
    assert listed.status_code == 404
    assert upload(docs, person, user="cw.sof.roma").status_code == 404


def test_a_caseworker_of_the_centre_cannot_reach_a_roma_branch_document(docs: Api) -> None:
    person = register(docs, structure="roma-branch")
    document = attached(docs, person, user="cw.sof.roma")
    assert content(docs, document, "cw.sof.roma").status_code == 200
    assert content(docs, document, "cw.sof.centre").status_code == 404


@pytest.mark.parametrize("outsider", ["coord.kar", "analyst.thessaly", "auditor.sof", "admin"])
def test_another_tenant_an_analyst_an_uncleared_auditor_and_an_admin_get_no_document(docs: Api, outsider: str) -> None:
    person = register(docs)
    document = attached(docs, person)
    before = downloads(docs, person)
    assert content(docs, document, outsider).status_code in (403, 404)
    listed = docs.client.get(
        f"{TENANT}/documents", params={"beneficiary_id": str(person)}, headers=docs.headers(outsider)
    )
    assert listed.status_code in (403, 404)
    assert "Εκκαθαριστικό" not in listed.text
    assert upload(docs, person, user=outsider).status_code in (403, 404)
    assert downloads(docs, person) == before


def test_after_erasure_the_list_is_empty_and_the_download_is_gone(docs: Api) -> None:
    person = register(docs)
    document = attached(docs, person)
    erased = docs.post(
        "coord.sof", f"/beneficiaries/{person}/erasure", {"reason": "asked", "legal_ground": "GDPR Art. 17"}
    )
    assert erased.status_code in (200, 201), erased.text
    listed = docs.client.get(
        f"{TENANT}/documents", params={"beneficiary_id": str(person)}, headers=docs.headers("coord.sof")
    )
    assert listed.json() == []
    got = content(docs, document, "coord.sof")
    assert got.status_code == 404
    assert "Εκκαθαριστικό" not in got.text
    store = docs.kentra.casework("sofades").documents
    assert store is not None
    assert store.get(person, document) is None  # the bytes went with the person


@pytest.mark.parametrize("name", ['../../a"b\r\nSet-Cookie: x=1.pdf', "..\\..\\x.pdf", 'Ταυτότητα "νέα".pdf'])
def test_a_download_header_carries_no_folder_quote_or_line_break_whatever_the_name(name: str) -> None:
    stored = documents.clean_filename(name)
    headers = download_headers(documents.Download(filename=stored, media_type="application/pdf", data=PDF))
    disposition = headers["Content-Disposition"]
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert "/" not in stored
    assert "\\" not in stored
    assert '"' not in stored
    fallback = disposition.split('filename="')[1].split('"')[0]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", fallback), fallback
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == stored


def test_the_subject_access_export_lists_the_document_without_its_bytes(docs: Api) -> None:
    person = register(docs)
    attached(docs, person)
    path = f"{TENANT}/beneficiaries/{person}/subject-access"
    answer = docs.client.get(path, headers=docs.headers("coord.sof"))
    assert answer.status_code == 200, answer.text
    [held] = answer.json()["documents"]
    assert (held["kind"], held["filename"]) == ("tax_statement", "Εκκαθαριστικό 2023.pdf")
    assert PDF.decode() not in answer.text


def test_a_wrongly_attached_document_is_voided_through_corrections_and_leaves_the_list(docs: Api) -> None:
    person = register(docs)
    document = attached(docs, person)
    voided = docs.client.post(
        f"{TENANT}/corrections",
        params={"action": "void"},
        json={"entry_id": str(document), "reason": "duplicate_entry"},
        headers=docs.headers("cw.sof.centre", f"void-{uuid4()}"),
    )
    assert voided.status_code == 201, voided.text
    listed = docs.client.get(
        f"{TENANT}/documents", params={"beneficiary_id": str(person)}, headers=docs.headers("cw.sof.centre")
    )
    assert listed.json() == []
    assert content(docs, document).status_code == 404
