"""Documents' bytes sealed under their subject's key (issue 23): they open only with that key, for that
subject, unaltered; an erased subject's documents never open again, and no new one is sealed for them."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine

from domain.errors import BeneficiaryErasedError
from infra.crypto import FILE_SEAL_VERSION, SealedDataError, TenantKeys, new_data_key, seal_bytes, unseal_bytes
from infra.documents import S3DocumentStore, SqlDocumentStore, s3_client
from infra.errors import DocumentStoreUnavailableError
from infra.settings import Settings, SettingsError
from infra.vault import SqlVault

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + "Βεβαίωση ανεργίας: Παπαδοπούλου".encode()


@pytest.fixture
def vault(tmp_path: Path) -> SqlVault:
    made = SqlVault(create_engine(f"sqlite:///{tmp_path / 'vault.sqlite'}"), TenantKeys.derive(bytes(32), "sofades"))
    made.create_tables()
    return made


def test_a_sealed_file_opens_with_its_subjects_key_to_the_same_bytes() -> None:
    key, her = new_data_key(), uuid4()
    sealed = seal_bytes(key, her, PDF)
    assert sealed.startswith(FILE_SEAL_VERSION)
    assert PDF not in sealed
    assert b"%PDF" not in sealed
    assert unseal_bytes(key, her, sealed) == PDF


def test_sealing_the_same_file_twice_gives_different_bytes() -> None:
    key, her = new_data_key(), uuid4()
    assert seal_bytes(key, her, PDF) != seal_bytes(key, her, PDF)  # a fresh nonce each time


@pytest.mark.parametrize("where", [0, 2, 14, 100, -1])
def test_a_sealed_file_altered_anywhere_does_not_open(where: int) -> None:
    key, her = new_data_key(), uuid4()
    sealed = bytearray(seal_bytes(key, her, PDF))
    sealed[where] ^= 0x01
    with pytest.raises(SealedDataError):
        unseal_bytes(key, her, bytes(sealed))


def test_a_truncated_or_empty_sealed_file_does_not_open() -> None:
    key, her = new_data_key(), uuid4()
    sealed = seal_bytes(key, her, PDF)
    for cut in (b"", sealed[:2], sealed[:14], sealed[:-1]):
        with pytest.raises(SealedDataError):
            unseal_bytes(key, her, cut)


def test_a_file_sealed_for_one_subject_does_not_open_as_another_subjects_even_with_the_same_key() -> None:
    key, her, him = new_data_key(), uuid4(), uuid4()
    with pytest.raises(SealedDataError):
        unseal_bytes(key, him, seal_bytes(key, her, PDF))


def test_the_vault_opens_a_file_only_for_the_subject_it_was_sealed_for(vault: SqlVault) -> None:
    her, him = uuid4(), uuid4()
    vault.seal_bytes(him, b"his own")  # he has a key of his own
    sealed = vault.seal_bytes(her, PDF)
    assert vault.unseal_bytes(her, sealed) == PDF
    assert vault.unseal_bytes(him, sealed) is None  # her bytes copied under his id: his key, her id in the tag
    assert vault.unseal_bytes(uuid4(), sealed) is None  # someone with no key at all


def test_the_vault_reads_altered_file_bytes_as_unreadable_without_raising(vault: SqlVault) -> None:
    her = uuid4()
    sealed = bytearray(vault.seal_bytes(her, PDF))
    sealed[-5] ^= 0xFF
    assert vault.unseal_bytes(her, bytes(sealed)) is None


def test_after_an_erasure_a_sealed_file_never_opens_and_none_is_sealed_again(tmp_path: Path, vault: SqlVault) -> None:
    her = uuid4()
    sealed = vault.seal_bytes(her, PDF)
    vault.forget(her)
    assert vault.unseal_bytes(her, sealed) is None
    # another process, without this one's cache of keys, neither
    other = SqlVault(create_engine(f"sqlite:///{tmp_path / 'vault.sqlite'}"), TenantKeys.derive(bytes(32), "sofades"))
    assert other.unseal_bytes(her, sealed) is None
    with pytest.raises(BeneficiaryErasedError):
        vault.seal_bytes(her, PDF)


def test_a_file_sealed_in_one_tenant_does_not_open_in_another(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'shared.sqlite'}")
    sofades = SqlVault(engine, TenantKeys.derive(bytes(32), "sofades"))
    sofades.create_tables()
    her = uuid4()
    sealed = sofades.seal_bytes(her, PDF)
    karditsa = SqlVault(engine, TenantKeys.derive(bytes(32), "karditsa"))  # her wrapped key, another KEK
    assert karditsa.unseal_bytes(her, sealed) is None


def test_the_database_store_keeps_sealed_bytes_by_subject_and_document(tmp_path: Path, vault: SqlVault) -> None:
    store = SqlDocumentStore(create_engine(f"sqlite:///{tmp_path / 'vault.sqlite'}"))
    her, him = uuid4(), uuid4()
    first, second, his = uuid4(), uuid4(), uuid4()
    store.put(her, first, b"one")
    store.put(her, second, b"two")
    store.put(him, his, b"his")
    store.put(her, second, b"two again")  # the same document stored again replaces it
    assert store.get(her, first) == b"one"
    assert store.get(her, second) == b"two again"
    assert store.get(him, first) is None  # her document asked for under his id
    store.delete(her, first)
    assert store.get(her, first) is None
    assert store.forget(her) == 1
    assert store.forget(her) == 0
    assert store.get(him, his) == b"his"


def test_s3_is_refused_without_an_endpoint_or_a_bucket_naming_what_is_missing() -> None:
    with pytest.raises(SettingsError, match="KENTRA_S3_ENDPOINT_URL and KENTRA_S3_BUCKET"):
        Settings(document_store="s3")
    with pytest.raises(SettingsError, match="needs KENTRA_S3_BUCKET"):
        Settings(document_store="s3", s3_endpoint_url="http://127.0.0.1:29000")
    assert Settings().document_store == "database"


def test_the_s3_secrets_never_show_in_the_settings_or_the_store() -> None:
    settings = Settings(
        document_store="s3",
        s3_endpoint_url="http://127.0.0.1:29000",
        s3_bucket="kentra-documents",
        s3_access_key_id=SecretStr("AKIA-LOOK-HERE"),
        s3_secret_access_key=SecretStr("very-secret-words"),
    )
    shown = repr(settings) + str(settings)
    assert "very-secret-words" not in shown
    assert "AKIA-LOOK-HERE" not in shown
    store = S3DocumentStore(client=object(), bucket="kentra-documents", tenant_id="sofades")  # type: ignore[arg-type]
    assert "secret" not in repr(store)


def test_s3_keys_are_the_tenant_then_the_subject_then_the_document() -> None:
    her, doc = UUID("00000000-0000-4000-8000-000000000001"), UUID("00000000-0000-4000-8000-000000000002")
    store = S3DocumentStore(client=object(), bucket="b", tenant_id="sofades")  # type: ignore[arg-type]
    assert store._key(her, doc) == f"sofades/{her}/{doc}"


def test_an_s3_store_that_does_not_answer_is_unavailable_not_an_unexpected_error() -> None:
    settings = Settings(
        document_store="s3",
        s3_endpoint_url="http://127.0.0.1:9",  # discard: nothing listens on loopback's port 9
        s3_bucket="kentra-documents",
        s3_access_key_id=SecretStr("k"),
        s3_secret_access_key=SecretStr("s"),
    )
    store = S3DocumentStore(s3_client(settings), "kentra-documents", "sofades")
    her = uuid4()
    for attempt in (
        lambda: store.put(her, uuid4(), b"x"),
        lambda: store.get(her, uuid4()),
        lambda: store.forget(her),
    ):
        with pytest.raises(DocumentStoreUnavailableError) as raised:
            attempt()
        assert "127.0.0.1" not in str(raised.value)  # the message names no endpoint nor object
        assert str(her) not in str(raised.value)
