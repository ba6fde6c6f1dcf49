"""Issue 23's erasure, all of it at once, on both stores: a member of a household of three, informed,
who consented to sharing with an NGO, was referred there and has a document. After her erasure her
document's bytes, her consent records and her household link are gone from every file and table; the
rest of the household is intact; the figures (the households served among them) are unchanged, live
and after a rebuild from the log."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from sqlalchemy import select

from domain.consent import PrivacyRecord, privacy_record_id
from infra.stores import PostgresStorage, SqliteStorage
from projections.tables import household_members
from services import commands as c
from services import consent, documents, privacy
from services.access import Principal, Role
from services.casework import read_log
from tests.conftest import StoreUnderTest, command, service_url
from tests.integration.test_erasure import flush, found_in_files
from tests.integration.test_household_erasure import build, figures, rows


def scan() -> bytes:
    """A small PDF of its own (as a scanned identity card would be), to be looked for in the files."""
    return b"%PDF-1.4\n% " + uuid4().hex.encode() + b"\n%%EOF\n"


def attach(store: StoreUnderTest, who: UUID, data: bytes) -> UUID:
    coordinator = Principal("e.papadaki", Role.COORDINATOR, frozenset({store.tenant.id}))
    fields = c.AttachDocumentFields.model_validate(
        {"beneficiary_id": str(who), "document_kind": "identity_card", "document_date": "2024-05-02"}
    )
    return documents.attach(
        store.casework,
        coordinator,
        fields,
        filename="Ταυτότητα.pdf",
        claimed_type="application/pdf",
        data=data,
        key=f"doc-{uuid4()}",
    ).entry_id


def in_member_rows_file(store: StoreUnderTest, who: UUID, household: UUID) -> bool:
    """Whether the household members' view holds her row in its files (a deleted row's copy included)."""
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, SqliteStorage):  # the views' file and its WAL: her row, two hex ids side by side
        row = (who.hex + household.hex).encode()
        return any(row in Path(p).read_bytes() for p in glob.glob(f"{storage.views_file}*"))
    assert isinstance(storage, PostgresStorage)
    flush(store)
    with psycopg.connect(service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL")) as conn:
        data = conn.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
        path = conn.execute(
            "SELECT pg_relation_filepath(%s)", (f'"{storage.schema}".{household_members.name}',)
        ).fetchone()[0]  # type: ignore[index]
    return who.bytes in Path(f"{data}/{path}").read_bytes()  # the table's own file: her id is her row


def privacy_tokens(store: StoreUnderTest, who: UUID) -> list[str]:
    """The sealed details of every event of the person's privacy record."""
    record = privacy_record_id(who)
    return [
        e.sealed
        for e in read_log(store.casework)
        if e.originator_id == record and isinstance(getattr(e, "sealed", None), str)
    ]


def test_erasing_a_member_removes_her_documents_consents_and_household_link_and_leaves_the_rest(
    store: StoreUnderTest,
) -> None:
    household, (head, spouse, child) = build(store)
    day: dict[str, Any] = {"occurred_on": "2024-06-03", "beneficiary_id": str(child)}
    store.casework.execute(command(command="record_information", notice_version="2018-05", **day))
    store.casework.execute(
        command(command="give_consent", purpose="sharing_with_agency", agency="ngo", given_as="signed_form", **day)
    )
    store.casework.execute(command(command="send_referral", destination="ngo", structure="centre", **day))
    document = attach(store, child, scan())
    kept = attach(store, spouse, scan())  # the spouse's stays: only the erased person's go
    assert store.casework.documents is not None
    sealed = store.casework.documents.get(child, document)
    assert sealed is not None
    traces = [sealed[-64:]]  # a piece of her document as the store holds it (sealed)
    assert found_in_files(store, traces, every_file=True) == traces  # the search sees it while it is there
    tokens = privacy_tokens(store, child)
    assert len(tokens) >= 2  # the information and the consent
    assert all(store.casework.vault.unseal(t) for t in tokens)
    listed = privacy.subject_access(
        store.casework, store.kentra.views(store.tenant.id), child, asked_by="e.papadaki", role="coordinator"
    )
    assert listed["privacy"]["consents"][0]["agency"] == "ngo"
    assert in_member_rows_file(store, child, household)  # the search sees her household row while it is there
    before = figures(store)

    store.kentra.erase(store.tenant.id, child, reason="ζήτησε διαγραφή", legal_ground="test: ground", erased_by="c")

    # The document: not in the store, and no copy of its sealed bytes in any file of the tenant's.
    assert store.casework.documents.get(child, document) is None
    assert found_in_files(store, traces, every_file=True) == []
    assert store.casework.documents.get(spouse, kept) is not None
    # The consent records: none of their sealed details opens; the export lists none.
    assert [store.casework.vault.unseal(t) for t in privacy_tokens(store, child)] == [None] * len(tokens)
    record = store.casework.entry(privacy_record_id(child))
    assert isinstance(record, PrivacyRecord)
    assert consent.privacy_document(store.casework, child) == {"informed": [], "consents": []}
    # The household: her row gone, the others' intact, the size kept; the same after a rebuild.
    members, sizes = rows(store)
    assert set(members) == {head, spouse}
    assert sizes[household] == 3
    assert not in_member_rows_file(store, child, household)  # no dead copy of her row left in the table's files
    views = store.kentra.views(store.tenant.id)
    with views.engine.connect() as conn:
        assert conn.execute(select(household_members).where(household_members.c.beneficiary_id == child)).all() == []
    assert figures(store) == before
    views.rebuild()
    members, sizes = rows(store)
    assert set(members) == {head, spouse}
    assert sizes[household] == 3
    assert figures(store) == before
