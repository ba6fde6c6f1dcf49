"""Documents on the in-memory service (issue 23): attaching checks the file by its content, seals it
under the person's key and records it once; listing and downloading are for who reads the person's
data; every download is in the access log; an erasure leaves nothing to open."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.access_log import PersonalDataAccess
from domain.documents import Document, DocumentGoneError, DocumentRefusedError, DocumentTooLargeError
from domain.errors import BeneficiaryErasedError, CommandIdReusedError, EntryNotFoundError, InvalidValueError
from domain.events import INTERNAL, is_published
from domain.identifiers import make_amka
from domain.tenants import Tenant, TenantRegistry
from infra.bootstrap import Kentra
from services import commands as c
from services import documents, privacy
from services.access import AccessDeniedError, Principal, Role
from services.casework import Casework, read_log
from services.timeline import read_entry
from tests.conftest import command, in_memory_kentra, intake, isolated_registry, open_request
from tests.fakes import InMemoryDocumentStore, InMemoryVault

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17 + b"\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 40 + b"\xff\xd9"
SERIALS = itertools.count(1000)
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


@dataclass
class Office:
    kentra: Kentra
    tenant: Tenant
    store: InMemoryDocumentStore
    vault: InMemoryVault
    maria: Principal  # caseworker, centre
    anna: Principal  # caseworker, Roma branch
    eleni: Principal  # coordinator
    auditor: Principal  # cleared for personal data
    uncleared: Principal  # auditor without clearance
    analyst: Principal
    stranger: Principal  # caseworker of another tenant

    @property
    def casework(self) -> Casework:
        return self.kentra.casework(self.tenant.id)

    def register(self, structure: str = "centre") -> UUID:
        amka = make_amka(date(1979, 3, 4), next(SERIALS))
        return self.casework.execute(intake(structure=structure, personal__amka=amka)).entry_id

    def attach(self, person: UUID, data: bytes = PDF, by: Principal | None = None, **fields: Any) -> UUID:
        name = fields.pop("filename", "Εκκαθαριστικό 2023.pdf")
        claimed = fields.pop("claimed", "application/pdf")
        key = fields.pop("key", f"doc-{uuid4()}")
        payload = c.AttachDocumentFields.model_validate(
            {"beneficiary_id": str(person), "document_kind": "tax_statement", "document_date": "2024-04-30", **fields}
        )
        outcome = documents.attach(
            self.casework, by or self.maria, payload, filename=name, claimed_type=claimed, data=data, key=key
        )
        return outcome.entry_id


@pytest.fixture
def office(tmp_path: Path, real_registry: TenantRegistry) -> Iterator[Office]:
    tenants, tenant = isolated_registry(real_registry)
    vault = InMemoryVault()
    ours = frozenset({tenant.id})

    kentra = in_memory_kentra(tmp_path, tenants, vault)
    kentra.provision(tenant.id)
    store = InMemoryDocumentStore()
    kentra.casework(tenant.id).documents = store
    yield Office(
        kentra,
        tenant,
        store,
        vault,
        maria=Principal("m.georgiou", Role.CASEWORKER, ours, structure="centre"),
        anna=Principal("a.karagianni", Role.CASEWORKER, ours, structure="roma-branch"),
        eleni=Principal("e.papadaki", Role.COORDINATOR, ours),
        auditor=Principal("s.lampraki", Role.AUDITOR, ours, personal_data=True),
        uncleared=Principal("p.nikou", Role.AUDITOR, ours),
        analyst=Principal("r.thessaly", Role.REGIONAL_ANALYST, region="thessaly"),
        stranger=Principal("k.allou", Role.CASEWORKER, frozenset({"sofades"}), structure="centre"),
    )
    kentra.close()


def test_a_document_is_an_internal_event_never_published() -> None:
    assert Document.Attached in INTERNAL
    assert not is_published(Document.Attached)


def test_an_attached_document_is_listed_with_its_filename_and_downloaded_with_its_bytes(office: Office) -> None:
    person = office.register()
    document_id = office.attach(person)
    [listed] = documents.documents_of(office.casework, office.maria, person)
    assert (listed.id, listed.filename, listed.media_type, listed.size) == (
        document_id,
        "Εκκαθαριστικό 2023.pdf",
        "application/pdf",
        len(PDF),
    )
    got = documents.download(office.casework, office.maria, document_id, endpoint="document-download")
    assert (got.data, got.media_type, got.filename) == (PDF, "application/pdf", "Εκκαθαριστικό 2023.pdf")


def test_the_filename_and_the_bytes_are_sealed_never_in_clear(office: Office) -> None:
    person = office.register()
    document_id = office.attach(person)
    [stored] = office.store.files.values()
    assert PDF not in stored
    event = next(e for e in read_log(office.casework) if isinstance(e, Document.Attached))
    assert "Εκκαθαριστικό" not in repr(event.__dict__)
    assert event.originator_id == document_id


def test_attaching_twice_with_one_key_records_one_document(office: Office) -> None:
    person = office.register()
    first = office.attach(person, key="doc-retry-0001")
    again = office.attach(person, key="doc-retry-0001")
    assert first == again
    assert len(documents.documents_of(office.casework, office.maria, person)) == 1
    with pytest.raises(CommandIdReusedError):
        office.attach(person, data=PNG, filename="x.png", claimed="image/png", key="doc-retry-0001")
    assert len(office.store.files) == 1  # the refused retry deleted nothing of the first


def test_a_bare_attach_command_without_its_file_is_refused_and_records_nothing(office: Office) -> None:
    """As ``kentra record`` or a batch would send it: the facts of a file that was never stored."""
    person = office.register()
    bare = command(
        command="attach_document",
        beneficiary_id=str(person),
        document_kind="identity_card",
        document_date="2024-05-02",
        filename="ταυτότητα.pdf",
        media_type="application/pdf",
        size=1234,
        content="0" * 64,
    )
    with pytest.raises(DocumentRefusedError, match="with its file only"):
        office.casework.execute(bare)
    assert documents.documents_of(office.casework, office.maria, person) == []
    assert not any(isinstance(e, Document.Attached) for e in read_log(office.casework))


def test_a_refused_command_leaves_no_bytes_behind(office: Office) -> None:
    person = office.register()
    with pytest.raises(InvalidValueError):
        office.attach(person, document_date="2099-01-01")
    assert office.store.files == {}


@pytest.mark.parametrize(
    ("data", "name", "claimed"),
    [
        (HTML, "scan.pdf", "application/pdf"),
        (b"", "empty.pdf", "application/pdf"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "scan.pdf", "application/pdf"),
        (PNG, "scan.pdf", "application/pdf"),
        (PDF, "scan.pdf", "image/png"),
        (PDF, "scan.html", "application/pdf"),
        (PDF.replace(b"%%EOF", b"") + HTML, "scan.pdf", "application/pdf"),
        (PDF + b"<script>x</script>", "scan.pdf", "application/pdf"),
        (JPEG + b"PK\x03\x04 a zip after the image", "photo.jpg", "image/jpeg"),
        (PDF.replace(b"endobj", b"/OpenAction <</S /JavaScript /JS (app.alert(1))>> endobj"), "a.pdf", None),
        (b"MZ\x90\x00" + b"\x00" * 60, "scan.pdf", None),
    ],
)
def test_a_file_is_refused_by_its_content_not_its_name(
    office: Office, data: bytes, name: str, claimed: str | None
) -> None:
    person = office.register()
    with pytest.raises(DocumentRefusedError) as refused:
        office.attach(person, data=data, filename=name, claimed=claimed)
    assert refused.value.field == "file"
    assert office.store.files == {}


def test_pdf_jpeg_and_png_are_kept_by_their_content(office: Office) -> None:
    person = office.register()
    for data, name, claimed in ((PDF, "a.pdf", None), (JPEG, "b.JPG", "image/jpeg"), (PNG, "c", "image/png")):
        office.attach(person, data=data, filename=name, claimed=claimed)
    kinds = sorted(d.media_type for d in documents.documents_of(office.casework, office.maria, person))
    assert kinds == ["application/pdf", "image/jpeg", "image/png"]


def test_a_file_just_over_the_limit_is_refused_without_being_read_whole() -> None:
    read: list[int] = []

    def chunks() -> Iterator[bytes]:
        for number in range(100):
            read.append(number)
            yield b"x" * 1000

    with pytest.raises(DocumentTooLargeError):
        documents.Upload(limit=5000).read(chunks())
    assert len(read) == 6  # stopped at the first chunk past the limit
    assert documents.Upload(limit=5000).read(iter([b"x" * 5000])) == b"x" * 5000


def test_a_filename_loses_folders_control_characters_and_quotes() -> None:
    assert documents.clean_filename('../../etc/pa"ss\r\nwd.pdf') == "passwd.pdf"
    assert documents.clean_filename("C:\\Users\\x\\Ταυτότητα.pdf") == "Ταυτότητα.pdf"
    assert documents.clean_filename("") == "document"


def test_a_document_attaches_only_to_an_entry_of_the_same_person(office: Office) -> None:
    person, other = office.register(), office.register()
    request = office.casework.execute(open_request(other)).entry_id
    with pytest.raises(InvalidValueError) as refused:
        office.attach(person, entry_id=str(request))
    assert refused.value.field == "entry_id"
    own = office.casework.execute(open_request(person)).entry_id
    attached = office.attach(person, entry_id=str(own))
    assert [d.id for d in documents.documents_of(office.casework, office.maria, person, entry_id=own)] == [attached]


def test_every_download_is_recorded_in_the_access_log(office: Office) -> None:
    person = office.register()
    document_id = office.attach(person)

    def accesses() -> int:
        recorded: type[Any] = PersonalDataAccess.Recorded
        return len(
            [e for e in read_log(office.casework) if isinstance(e, recorded) and e.endpoint == "document-download"]
        )

    for expected in (1, 2):
        documents.download(office.casework, office.eleni, document_id, endpoint="document-download")
        assert accesses() == expected


def test_a_caseworker_of_the_roma_branch_cannot_list_or_download_a_centre_document(office: Office) -> None:
    person = office.register()
    document_id = office.attach(person)
    with pytest.raises(EntryNotFoundError):
        documents.documents_of(office.casework, office.anna, person)
    with pytest.raises(EntryNotFoundError):
        documents.download(office.casework, office.anna, document_id, endpoint="document-download")


def test_a_caseworker_of_the_centre_cannot_attach_to_a_roma_branch_person(office: Office) -> None:
    person = office.register(structure="roma-branch")
    with pytest.raises(EntryNotFoundError):
        office.attach(person, by=office.maria)
    assert office.store.files == {}


def test_an_auditor_without_clearance_an_analyst_and_another_tenant_get_no_document(office: Office) -> None:
    person = office.register()
    document_id = office.attach(person)
    for outsider in (office.uncleared, office.analyst, office.stranger):
        with pytest.raises((EntryNotFoundError, AccessDeniedError)):
            documents.download(office.casework, outsider, document_id, endpoint="document-download")
    with pytest.raises(AccessDeniedError):
        documents.documents_of(office.casework, office.uncleared, person)
    assert documents.download(office.casework, office.auditor, document_id, endpoint="x").data == PDF
    with pytest.raises(AccessDeniedError):
        office.attach(person, by=office.auditor)


def test_a_voided_document_is_off_the_list_and_not_downloaded(office: Office) -> None:
    person = office.register()
    document_id = office.attach(person)
    office.casework.execute(command(command="void_entry", entry_id=str(document_id), reason="duplicate_entry"))
    assert documents.documents_of(office.casework, office.maria, person) == []
    with pytest.raises(DocumentGoneError):
        documents.download(office.casework, office.maria, document_id, endpoint="document-download")


def test_after_erasure_nothing_is_listed_nor_downloaded_nor_attached(office: Office) -> None:
    person = office.register()
    document_id = office.attach(person)
    office.kentra.erase(office.tenant.id, person, reason="asked", legal_ground="GDPR Art. 17", erased_by="e.papadaki")
    assert documents.documents_of(office.casework, office.eleni, person) == []
    with pytest.raises(DocumentGoneError) as gone:
        documents.download(office.casework, office.eleni, document_id, endpoint="document-download")
    assert "Εκκαθαριστικό" not in str(gone.value)
    with pytest.raises(BeneficiaryErasedError):
        office.attach(person, by=office.eleni)


def test_a_document_attached_to_a_request_is_a_moment_of_its_timeline(office: Office) -> None:
    person = office.register()
    request = office.casework.execute(open_request(person)).entry_id
    office.attach(person, entry_id=str(request))
    office.attach(person)  # the person's own, not the request's
    view = read_entry(office.casework, office.maria, request, "request", "test")
    moments = [m for m in view.timeline if m.event == "DocumentAttached"]
    assert [dict(m.facts) for m in moments] == [{"document_kind": "tax_statement", "document_date": date(2024, 4, 30)}]
    uncleared = read_entry(office.casework, office.uncleared, request, "request", "test").timeline
    assert "DocumentAttached" not in [m.event for m in uncleared]


def test_the_subject_access_export_lists_the_persons_documents_without_their_bytes(office: Office) -> None:
    person = office.register()
    office.attach(person)
    views = office.kentra.views(office.tenant.id)
    export = privacy.subject_access(office.casework, views, person, asked_by="e.papadaki", role="coordinator")
    [held] = export["documents"]
    assert (held["kind"], held["document_date"], held["filename"], held["voided"]) == (
        "tax_statement",
        "2024-04-30",
        "Εκκαθαριστικό 2023.pdf",
        False,
    )
    assert PDF.decode() not in repr(export)
