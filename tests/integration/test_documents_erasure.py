"""Documents on both stores (issue 23): attached on the real document store, the bytes and the
filename never in clear in any file; after an erasure the bytes and the index of the person's
documents are gone, nothing lists or downloads, and the figures are as they were."""

from __future__ import annotations

import glob
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest

from domain.documents import DocumentGoneError
from domain.identifiers import make_amka
from services import commands as c
from services import documents
from services.access import Principal, Role
from services.casework_documents import documents_index
from tests.conftest import StoreUnderTest, intake
from tests.integration.test_erasure import figures


def test_an_erasure_removes_the_documents_and_leaves_the_figures(store: StoreUnderTest) -> None:
    casework = store.casework
    assert casework.documents is not None  # wired by the platform, not by the test
    coordinator = Principal("e.papadaki", Role.COORDINATOR, frozenset({store.tenant.id}))
    person = casework.execute(
        intake(occurred_on="2023-03-01", personal__amka=make_amka(date(1960, 1, 1), 7701))
    ).entry_id
    marker = f"MARKER-{uuid4().hex}".encode()
    data = b"%PDF-1.4\n" + marker + b"\n%%EOF\n"
    name = f"Ιατρική γνωμάτευση {uuid4().hex[:8]}.pdf"
    fields = c.AttachDocumentFields.model_validate(
        {"beneficiary_id": str(person), "document_kind": "medical_report", "document_date": "2023-02-10"}
    )
    document = documents.attach(
        casework, coordinator, fields, filename=name, claimed_type="application/pdf", data=data, key=f"d-{uuid4()}"
    ).entry_id
    assert documents.download(casework, coordinator, document, endpoint="test").data == data
    if store.kind == "sqlite":
        for path in glob.glob(str(store.settings.data_dir / "**" / "*"), recursive=True):
            if path.endswith((".sqlite", "-wal")):
                content = Path(path).read_bytes()
                assert marker not in content, path
                assert name.encode() not in content, path
    before = figures(store)

    store.kentra.erase(store.tenant.id, person, reason="asked", legal_ground="GDPR Art. 17", erased_by="e.papadaki")

    assert casework.documents.get(person, document) is None
    assert casework.vault.indexed(documents_index(casework.vault, person)) == []
    assert documents.documents_of(casework, coordinator, person) == []
    with pytest.raises(DocumentGoneError):
        documents.download(casework, coordinator, document, endpoint="test")
    assert figures(store) == before
    assert documents.held_about(casework, person) == []
