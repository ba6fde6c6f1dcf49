"""Documents' sealed bytes in the tenant's own store (SQLite beside the vault, PostgreSQL in the tenant's
schema) and in an S3-compatible bucket (a real S3Proxy, started by scripts/test): wired by the setting,
removed by an erasure with nothing left in the files or the bucket, kept apart between tenants."""

from __future__ import annotations

import base64
import glob
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from pydantic import SecretStr
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from domain.identifiers import make_amka
from infra.backup import backup, restore
from infra.bootstrap import Kentra, bootstrap
from infra.documents import S3DocumentStore, SqlDocumentStore, s3_client
from infra.settings import Settings
from infra.stores import PostgresStorage, SqliteStorage
from infra.vault_tables import documents
from services.ports import DocumentStore
from tests.conftest import TEST_MASTER_KEY, StoreUnderTest, intake, isolated_registry, make_settings, service_url

# A recognisable file: its plaintext and its sealed bytes are looked for in the stores' files.
PLAIN = b"%PDF-1.7 " + "Βεβαίωση ανεργίας της Μαρίας Παπαδοπούλου, ΑΜΚΑ 01016012345".encode() * 64


def person(store: StoreUnderTest, n: int) -> UUID:
    return store.casework.execute(
        intake(occurred_on="2023-03-01", personal__amka=make_amka(date(1960, 1, 1), n))
    ).entry_id


def upload(store: StoreUnderTest, who: UUID, data: bytes = PLAIN) -> tuple[UUID, bytes]:
    """What the documents' service does with an upload: seal under the person's key, then store."""
    casework = store.casework
    assert casework.documents is not None
    sealed = casework.vault.seal_bytes(who, data)
    document_id = uuid4()
    casework.documents.put(who, document_id, sealed)
    return document_id, sealed


def erase(store: StoreUnderTest, who: UUID) -> dict[str, object]:
    return store.kentra.erase(store.tenant.id, who, reason="asked", legal_ground="Art. 17(1)(a)", erased_by="coord")


def flush(store: StoreUnderTest) -> None:
    if isinstance(store.kentra.storage(store.tenant.id), PostgresStorage):
        with psycopg.connect(service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL"), autocommit=True) as conn:
            conn.execute("CHECKPOINT")


def document_files(store: StoreUnderTest) -> list[str]:
    """The files the documents' table lives in: SQLite's vault file and its WAL; PostgreSQL's table and
    its TOAST table (where large bytea values go)."""
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, SqliteStorage):
        return glob.glob(f"{storage.vault_file}*")
    assert isinstance(storage, PostgresStorage)
    with psycopg.connect(service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL")) as conn:
        data = conn.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
        relation = f'"{storage.schema}".vault_documents'
        paths = conn.execute(
            "SELECT pg_relation_filepath(c.oid), pg_relation_filepath(c.reltoastrelid) FROM pg_class c"
            " WHERE c.oid = %s::regclass",
            (relation,),
        ).fetchone()
    assert paths is not None
    return [f"{data}/{p}" for p in paths if p]


def found_in_files(store: StoreUnderTest, traces: list[bytes]) -> list[bytes]:
    flush(store)
    contents = []
    for path in document_files(store):
        for part in sorted(glob.glob(f"{path}*")):  # PostgreSQL's segments (.1, ...) and SQLite's -wal
            if os.path.isfile(part):
                contents.append(Path(part).read_bytes())
    return [trace for trace in traces if any(trace in content for content in contents)]


def test_casework_is_wired_with_the_tenants_own_store_by_default(store: StoreUnderTest) -> None:
    assert store.settings.document_store == "database"
    assert isinstance(store.casework.documents, SqlDocumentStore)


def test_a_document_stored_sealed_reads_back_and_opens_only_for_its_person(store: StoreUnderTest) -> None:
    her, him = person(store, 1), person(store, 2)
    document_id, sealed = upload(store, her)
    documents_store = store.casework.documents
    assert documents_store is not None
    assert documents_store.get(her, document_id) == sealed
    assert store.casework.vault.unseal_bytes(her, sealed) == PLAIN
    # another process over the same store reads the same
    other = store.fresh_casework()
    assert other.documents is not None
    stored = other.documents.get(her, document_id)
    assert stored is not None
    assert other.vault.unseal_bytes(her, stored) == PLAIN
    assert documents_store.get(him, document_id) is None


def test_a_forged_row_with_another_persons_sealed_bytes_does_not_open(store: StoreUnderTest) -> None:
    her, him = person(store, 1), person(store, 2)
    _, her_sealed = upload(store, her)
    upload(store, him, b"his own file")
    forged = uuid4()
    documents_store = store.casework.documents
    assert documents_store is not None
    documents_store.put(him, forged, her_sealed)  # someone with write access copies her bytes under his id
    stored = documents_store.get(him, forged)
    assert stored == her_sealed
    assert store.casework.vault.unseal_bytes(him, stored) is None
    assert store.fresh_casework().vault.unseal_bytes(him, stored) is None


def test_an_erasure_removes_every_document_of_the_person_and_only_theirs(store: StoreUnderTest) -> None:
    her, him = person(store, 1), person(store, 2)
    first, _ = upload(store, her)
    second, _ = upload(store, her, b"a second file")
    his, his_sealed = upload(store, him, b"his file")
    result = erase(store, her)
    assert result["documents_removed"] == 2
    documents_store = store.casework.documents
    assert documents_store is not None
    assert documents_store.get(her, first) is None
    assert documents_store.get(her, second) is None
    assert documents_store.get(him, his) == his_sealed  # the compaction kept everyone else's
    assert store.casework.vault.unseal_bytes(him, his_sealed) == b"his file"


def test_an_erasure_run_again_after_a_crash_removes_the_documents_left_behind(store: StoreUnderTest) -> None:
    her = person(store, 1)
    upload(store, her)
    casework = store.casework
    assert casework.documents is not None
    left = casework.documents  # the first run stopped after her key went, before her documents did
    casework.documents = None
    try:
        assert erase(store, her)["documents_removed"] == 0
    finally:
        casework.documents = left
    assert isinstance(left, SqlDocumentStore)
    assert left.count(her) == 1
    again = erase(store, her)
    assert again["already"] is True
    assert again["documents_removed"] == 1
    assert left.count(her) == 0


def test_after_an_erasure_no_byte_of_a_document_remains_in_the_stores_files(store: StoreUnderTest) -> None:
    her, him = person(store, 1), person(store, 2)
    _, sealed = upload(store, her)
    upload(store, him, b"his file " * 500)
    traces = [sealed[20:84], sealed[len(sealed) // 2 : len(sealed) // 2 + 64], sealed[-64:]]
    assert found_in_files(store, traces) == traces  # the test sees the bytes while they are stored
    assert found_in_files(store, [PLAIN[:40]]) == []  # and never the plaintext
    erase(store, her)
    assert found_in_files(store, traces) == []
    assert found_in_files(store, [PLAIN[:40]]) == []


@pytest.fixture
def two_databases(request: pytest.FixtureRequest) -> Iterator[tuple[str, str] | None]:
    """For PostgreSQL: a live and an empty database of their own (a restore needs an empty store)."""
    if request.node.callspec.params["store"] != "postgres":
        yield None
        return
    superuser = service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL")
    names = (f"kentra_dl_{uuid4().hex[:8]}", f"kentra_dr_{uuid4().hex[:8]}")
    with psycopg.connect(superuser, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}" OWNER kentra_owner')
    try:
        yield names
    finally:
        with psycopg.connect(superuser, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def in_database(settings: Settings, database: str | None) -> Settings:
    if database is None:
        return settings
    assert settings.database_url is not None
    assert settings.database_owner_url is not None
    return settings.model_copy(
        update={
            name: SecretStr(make_url(url.get_secret_value()).set(database=database).render_as_string(False))
            for name, url in (
                ("database_url", settings.database_url),
                ("database_owner_url", settings.database_owner_url),
            )
        }
    )


def test_documents_are_in_a_backup_and_come_back_with_its_restore(
    store: StoreUnderTest, two_databases: tuple[str, str] | None, tmp_path: Path
) -> None:
    live_db, restored_db = two_databases or (None, None)
    live = bootstrap(in_database(make_settings(store.kind, tmp_path / "live"), live_db), registry=store.kentra.registry)
    target = bootstrap(
        in_database(make_settings(store.kind, tmp_path / "restored"), restored_db), registry=store.kentra.registry
    )
    try:
        live.provision(store.tenant.id)
        casework = live.casework(store.tenant.id)
        her = casework.execute(intake(personal__amka=make_amka(date(1960, 1, 1), 7))).entry_id
        sealed = casework.vault.seal_bytes(her, PLAIN)
        document_id = uuid4()
        assert casework.documents is not None
        casework.documents.put(her, document_id, sealed)
        backup(live, tmp_path / "backup")
        restore(target, tmp_path / "backup")
        target.provision(store.tenant.id)
        restored = target.casework(store.tenant.id)
        assert restored.documents is not None
        back = restored.documents.get(her, document_id)
        assert back == sealed
        assert restored.vault.unseal_bytes(her, back) == PLAIN
    finally:
        live.close()
        target.close()


# ---- PostgreSQL: tenants' roles


@pytest.fixture
def two_tenants(tmp_path: Path, real_registry: object) -> Iterator[tuple[Kentra, str, str]]:
    from domain.tenants import TenantRegistry  # noqa: PLC0415

    assert isinstance(real_registry, TenantRegistry)
    registry, mine = isolated_registry(real_registry)
    theirs = mine.model_copy(update={"id": f"test-{uuid4().hex[:12]}"})
    registry = registry.model_copy(update={"tenants": (*registry.tenants, theirs)})
    kentra = bootstrap(make_settings("postgres", tmp_path), registry=registry)
    kentra.provision(mine.id)
    kentra.provision(theirs.id)
    yield kentra, mine.id, theirs.id
    kentra.close()


@pytest.mark.integration
def test_a_tenants_role_cannot_read_or_write_another_tenants_documents(two_tenants: tuple[Kentra, str, str]) -> None:
    kentra, mine_id, theirs_id = two_tenants
    mine, theirs = kentra.storage(mine_id), kentra.storage(theirs_id)
    assert isinstance(mine, PostgresStorage)
    assert isinstance(theirs, PostgresStorage)
    kentra.casework(theirs_id).documents.put(uuid4(), uuid4(), b"theirs")  # type: ignore[union-attr]
    engine, _ = mine.views_engine()
    for statement in (
        f'SELECT sealed FROM "{theirs.schema}".vault_documents',
        f'DELETE FROM "{theirs.schema}".vault_documents',
        f'TRUNCATE "{theirs.schema}".vault_documents',
    ):
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == mine.role
            with pytest.raises(Exception, match="permission denied"):
                conn.execute(text(statement))
    other = SqlDocumentStore(engine, schema=theirs.schema)  # the service layer given the wrong tenant's schema
    with pytest.raises(Exception, match="permission denied"):
        other.get(uuid4(), uuid4())
    with pytest.raises(Exception, match="permission denied"), engine.begin() as conn:
        conn.execute(
            insert(documents).execution_options(schema_translate_map={None: theirs.schema}),
            {"subject_id": uuid4(), "document_id": uuid4(), "sealed": b"x", "size": 1, "created_at": "2024-01-01"},
        )
    # and the application's login role alone, without SET ROLE, reads no tenant's documents
    with (
        psycopg.connect(service_url("KENTRA_TEST_DATABASE_URL"), autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(f'SELECT count(*) FROM "{theirs.schema}".vault_documents')
    assert kentra.storage(theirs_id).documents().count(uuid4()) == 0  # their own role still reads theirs


# ---- S3: a real S3-compatible server (S3Proxy), started by scripts/test or infra/services/s3.sh


def s3_settings(tmp_path: Path, bucket: str) -> Settings:
    return make_settings("sqlite", tmp_path).model_copy(
        update={
            "document_store": "s3",
            "s3_endpoint_url": service_url("KENTRA_TEST_S3_ENDPOINT_URL"),
            "s3_bucket": bucket,
            "s3_access_key_id": SecretStr(service_url("KENTRA_TEST_S3_ACCESS_KEY_ID")),
            "s3_secret_access_key": SecretStr(service_url("KENTRA_TEST_S3_SECRET_ACCESS_KEY")),
        }
    )


@pytest.fixture
def s3_store(tmp_path: Path, real_registry: object) -> Iterator[StoreUnderTest]:
    from domain.tenants import TenantRegistry  # noqa: PLC0415

    assert isinstance(real_registry, TenantRegistry)
    bucket = f"kentra-test-{uuid4().hex[:12]}"
    settings = s3_settings(tmp_path, bucket)
    client = s3_client(settings)
    client.create_bucket(Bucket=bucket)
    registry, tenant = isolated_registry(real_registry)
    from tests.conftest import Clock  # noqa: PLC0415

    clock = Clock()
    kentra = bootstrap(settings, registry=registry, today=clock)
    kentra.provision(tenant.id)
    yield StoreUnderTest("sqlite", kentra, tenant, clock, settings)
    kentra.close()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


def bucket_objects(settings: Settings) -> dict[str, bytes]:
    client = s3_client(settings)
    assert settings.s3_bucket is not None
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=settings.s3_bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = client.get_object(Bucket=settings.s3_bucket, Key=item["Key"])["Body"].read()
    return found


@pytest.mark.integration
def test_with_s3_chosen_documents_go_to_the_bucket_under_tenant_subject_and_document(s3_store: StoreUnderTest) -> None:
    assert isinstance(s3_store.casework.documents, S3DocumentStore)
    her = person(s3_store, 1)
    document_id, sealed = upload(s3_store, her)
    objects = bucket_objects(s3_store.settings)
    assert objects == {f"{s3_store.tenant.id}/{her}/{document_id}": sealed}
    assert PLAIN[:40] not in sealed
    stored = s3_store.casework.documents.get(her, document_id)
    assert stored == sealed
    assert s3_store.casework.vault.unseal_bytes(her, stored) == PLAIN
    assert s3_store.casework.documents.get(her, uuid4()) is None
    s3_store.casework.documents.delete(her, document_id)
    assert bucket_objects(s3_store.settings) == {}
    assert s3_store.casework.documents.get(her, document_id) is None


@pytest.mark.integration
def test_with_s3_an_erasure_leaves_no_object_of_the_person_in_the_bucket(s3_store: StoreUnderTest) -> None:
    her, him = person(s3_store, 1), person(s3_store, 2)
    for _ in range(3):
        upload(s3_store, her)
    his, his_sealed = upload(s3_store, him, b"his file")
    result = erase(s3_store, her)
    assert result["documents_removed"] == 3
    objects = bucket_objects(s3_store.settings)
    assert objects == {f"{s3_store.tenant.id}/{him}/{his}": his_sealed}


@pytest.mark.integration
def test_s3_forget_follows_the_listing_over_every_page(s3_store: StoreUnderTest) -> None:
    documents_store = s3_store.casework.documents
    assert isinstance(documents_store, S3DocumentStore)
    her = uuid4()
    client = s3_client(s3_store.settings)
    many = 1005  # a listing page holds 1000
    for n in range(many):
        client.put_object(Bucket=s3_store.settings.s3_bucket or "", Key=f"{s3_store.tenant.id}/{her}/{n}", Body=b"x")
    assert documents_store.count(her) == many
    assert documents_store.forget(her) == many
    assert bucket_objects(s3_store.settings) == {}


@pytest.mark.integration
def test_with_s3_one_tenants_store_never_reaches_another_tenants_objects(s3_store: StoreUnderTest) -> None:
    documents_store = s3_store.casework.documents
    assert isinstance(documents_store, S3DocumentStore)
    her = person(s3_store, 1)
    document_id, _ = upload(s3_store, her)
    other: DocumentStore = S3DocumentStore(s3_client(s3_store.settings), s3_store.settings.s3_bucket or "", "karditsa")
    assert other.get(her, document_id) is None
    assert other.forget(her) == 0
    assert documents_store.get(her, document_id) is not None


def documents_filenode(store: StoreUnderTest) -> int:
    storage = store.kentra.storage(store.tenant.id)
    assert isinstance(storage, PostgresStorage)
    engine, _ = storage.views_engine()
    with engine.connect() as conn:
        node = conn.execute(text(f"SELECT pg_relation_filenode('\"{storage.schema}\".vault_documents')")).scalar()
    assert isinstance(node, int)
    return node


@pytest.mark.integration
def test_the_documents_table_is_rewritten_only_by_an_erasure_that_deleted_documents_or_finished_one(
    store: StoreUnderTest,
) -> None:
    if store.kind != "postgres":
        pytest.skip("SQLite's secure_delete needs no rewrite: the pages are zeroed where they are")
    her, him, them = person(store, 1), person(store, 2), person(store, 3)
    upload(store, her)
    before = documents_filenode(store)
    erase(store, him)  # no document of his: every other person's documents are not copied again
    assert documents_filenode(store) == before
    erase(store, her)
    after_hers = documents_filenode(store)
    assert after_hers != before
    upload(store, them)
    casework = store.casework
    left, casework.documents = casework.documents, None  # a first run that stopped before the documents
    try:
        erase(store, them)
    finally:
        casework.documents = left
    assert documents_filenode(store) == after_hers
    erase(store, them)  # the run after the crash deletes them and compacts
    assert documents_filenode(store) != after_hers


def test_a_store_made_before_the_documents_table_gets_it_and_is_waited_for_until_then(store: StoreUnderTest) -> None:
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, PostgresStorage):
        with psycopg.connect(service_url("KENTRA_TEST_DATABASE_OWNER_URL"), autocommit=True) as conn:
            conn.execute(f'DROP TABLE "{storage.schema}".vault_documents')
        from infra.schema_version import requirements  # noqa: PLC0415

        mine = [r for r in requirements(store.kentra) if r.what == f"tenant {store.tenant.id}"]
        assert [(r.ready, r.detail) for r in mine] == [
            (False, "no vault_documents table yet (kentra migrate makes it)")
        ]
        store.kentra.provision(store.tenant.id)  # what `kentra migrate` does
        mine = [r for r in requirements(store.kentra) if r.what == f"tenant {store.tenant.id}"]
        assert [r.ready for r in mine] == [True]
    else:
        assert isinstance(storage, SqliteStorage)
        with storage._vault_engine().begin() as conn:
            conn.exec_driver_sql("DROP TABLE vault_documents")
    later = bootstrap(store.settings, registry=store.kentra.registry, today=store.clock)  # the next process
    try:
        casework = later.casework(store.tenant.id)
        assert casework.documents is not None
        her = person(store, 1)
        document_id = uuid4()
        casework.documents.put(her, document_id, casework.vault.seal_bytes(her, PLAIN))
        assert casework.documents.get(her, document_id) is not None
    finally:
        later.close()


def test_after_a_rotation_of_the_master_key_a_document_opens_with_the_new_key_alone(store: StoreUnderTest) -> None:
    her = person(store, 1)
    document_id, sealed = upload(store, her)
    new_key = base64.b64encode(os.urandom(32)).decode()
    rotating = store.settings.model_copy(
        update={"master_key": SecretStr(new_key), "previous_master_key": SecretStr(TEST_MASTER_KEY)}
    )
    during = bootstrap(rotating, registry=store.kentra.registry, today=store.clock)
    try:
        during.rotate_master_key(store.tenant.id)
    finally:
        during.close()
    after = bootstrap(
        store.settings.model_copy(update={"master_key": SecretStr(new_key)}),
        registry=store.kentra.registry,
        today=store.clock,
    )
    try:
        casework = after.casework(store.tenant.id)
        assert casework.documents is not None
        stored = casework.documents.get(her, document_id)
        assert stored == sealed  # the bytes are not rewritten: only the person's key is re-wrapped
        assert casework.vault.unseal_bytes(her, stored) == PLAIN
    finally:
        after.close()
