"""Tamper evidence: rows changed, deleted, reordered or inserted behind the application's back are found."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import DBAPIError

from domain.identifiers import make_amka
from infra.stores import PostgresStorage, SqliteStorage
from projections.audit import Checkpoint
from projections.tables import audit_chain, audit_checkpoints
from tests.conftest import StoreUnderTest, command, intake, service_url

Tamper = Callable[[StoreUnderTest, str], None]


def history(store: StoreUnderTest) -> None:
    for n in range(4):
        person = store.casework.execute(intake(personal__amka=make_amka(date(1970, 1, 1), n))).entry_id
        store.casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(person),
                category="gmi",
                structure="centre",
                occurred_on="2024-05-02",
            )
        )
    assert store.kentra.audit_chain(store.tenant.id).extend() == 16


def raw(store: StoreUnderTest, statements: list[str]) -> None:
    """Run SQL as someone who can get around the triggers: a superuser, or whoever holds the file."""
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, SqliteStorage):
        with sqlite3.connect(storage.events_file) as conn:
            conn.execute("DROP TRIGGER IF EXISTS stored_events_refuse_update")
            conn.execute("DROP TRIGGER IF EXISTS stored_events_refuse_delete")
            for statement in statements:
                conn.execute(statement.format(table="stored_events", id="rowid"))
        return
    assert isinstance(storage, PostgresStorage)
    with psycopg.connect(service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL"), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # what a superuser can do: skip the triggers
        for statement in statements:
            conn.execute(statement.format(table=f"{storage.schema}.casework_events", id="notification_id"))


CHANGE = ["UPDATE {table} SET state = state || 'x' WHERE {id} = 7"]
DELETE = ["DELETE FROM {table} WHERE {id} = 7"]
REORDER = [
    "UPDATE {table} SET {id} = 1000 WHERE {id} = 7",
    "UPDATE {table} SET {id} = 7 WHERE {id} = 8",
    "UPDATE {table} SET {id} = 8 WHERE {id} = 1000",
]
INSERT = [
    "UPDATE {table} SET {id} = {id} + 100000 WHERE {id} >= 7",
    "UPDATE {table} SET {id} = {id} - 99999 WHERE {id} >= 100000",
    "INSERT INTO {table} ({id}, originator_id, originator_version, topic, state) "
    "SELECT 7, originator_id, originator_version + 50, topic, state FROM {table} WHERE {id} = 3",
]


def test_an_untouched_log_verifies(store: StoreUnderTest) -> None:
    history(store)
    verdict = store.kentra.audit_chain(store.tenant.id).verify()
    assert (verdict.ok, verdict.chained, verdict.pending) == (True, 16, 0)
    store.casework.execute(intake(personal__amka=make_amka(date(1970, 1, 1), 99)))
    assert store.kentra.audit_chain(store.tenant.id).verify().pending == 2  # recorded, not yet chained


@pytest.mark.parametrize(
    ("statements", "problem"),
    [(CHANGE, "differs"), (DELETE, "missing"), (REORDER, "differs"), (INSERT, "differs")],
    ids=["changed", "deleted", "reordered", "inserted"],
)
def test_tampering_is_found_at_its_position(store: StoreUnderTest, statements: list[str], problem: str) -> None:
    history(store)
    raw(store, statements)
    verdict = store.kentra.audit_chain(store.tenant.id).verify()
    assert not verdict.ok
    assert verdict.first_broken == 7
    assert problem in (verdict.problem or "")


def raw_audit(store: StoreUnderTest, statement: str) -> None:
    """SQL on the audit tables as someone who can get around their protection."""
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, SqliteStorage):
        with sqlite3.connect(storage.views_file) as conn:
            for table in ("audit_chain", "audit_checkpoints"):
                conn.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_delete")
            conn.execute(statement.format(schema="main"))
        return
    assert isinstance(storage, PostgresStorage)
    with psycopg.connect(service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL"), autocommit=True) as conn:
        conn.execute(statement.format(schema=storage.schema))


def rechain(store: StoreUnderTest) -> None:
    """What someone with database rights (but without the master key) can do after rewriting rows."""
    raw_audit(store, "DELETE FROM {schema}.audit_chain")
    store.kentra.audit_chain(store.tenant.id).extend()


def test_a_rewritten_log_with_a_recomputed_chain_disagrees_with_the_signed_checkpoint(
    store: StoreUnderTest,
) -> None:
    history(store)
    chain = store.kentra.audit_chain(store.tenant.id)
    checkpoint = chain.checkpoint()
    assert (checkpoint.position, chain.verify().checkpoints) == (16, 1)
    raw(store, CHANGE)
    rechain(store)
    verdict = chain.verify()
    assert not verdict.ok
    assert verdict.first_broken == 16
    assert f"checkpoint signed at {checkpoint.signed_at}" in (verdict.problem or "")


def test_removing_events_after_a_checkpoint_is_found_and_a_deleted_checkpoint_is_found_by_its_published_copy(
    store: StoreUnderTest,
) -> None:
    history(store)
    chain = store.kentra.audit_chain(store.tenant.id)
    published = chain.checkpoint()
    raw(store, ["DELETE FROM {table} WHERE {id} > 12"])
    rechain(store)
    verdict = chain.verify()
    assert (verdict.ok, verdict.first_broken) == (False, 16)
    assert "no longer reaches" in (verdict.problem or "")
    raw_audit(store, "DELETE FROM {schema}.audit_checkpoints")
    assert chain.verify().ok  # nothing in the store contradicts the rewritten log any more...
    verdict = chain.verify([published])  # ...but the copy on the topic does
    assert not verdict.ok
    assert "missing from the store" in (verdict.problem or "")


def test_a_checkpoint_not_signed_by_the_tenant_is_refused_and_a_strangers_published_one_ignored(
    store: StoreUnderTest,
) -> None:
    history(store)
    chain = store.kentra.audit_chain(store.tenant.id)
    genuine = chain.checkpoint()
    forged = Checkpoint.sign(store.tenant.id, genuine.position, genuine.hash, Ed25519PrivateKey.generate())
    assert chain.verify([forged]).ok  # anyone may write to a topic: an unsigned claim proves nothing
    with chain.engine.begin() as conn:
        conn.execute(insert(audit_checkpoints).values(**{k: v for k, v in forged.as_dict().items() if k != "tenant"}))
    verdict = chain.verify()
    assert not verdict.ok
    assert "not signed by this tenant's key" in (verdict.problem or "")


def test_a_checkpoint_is_due_only_when_the_chain_moved_and_the_last_one_is_old_enough(store: StoreUnderTest) -> None:
    chain = store.kentra.audit_chain(store.tenant.id)
    assert not chain.checkpoint_due(timedelta(hours=1))  # an empty log has nothing to sign
    history(store)
    assert chain.checkpoint_due(timedelta(hours=1))
    chain.checkpoint()
    assert not chain.checkpoint_due(timedelta(0))  # the head did not move
    store.casework.execute(intake(personal__amka=make_amka(date(1970, 1, 1), 77)))
    chain.extend()
    assert not chain.checkpoint_due(timedelta(hours=1))
    assert chain.checkpoint_due(timedelta(hours=1), now=datetime.now(UTC) + timedelta(hours=2))


def test_the_application_cannot_change_or_delete_audit_rows(store: StoreUnderTest) -> None:
    history(store)
    chain = store.kentra.audit_chain(store.tenant.id)
    chain.checkpoint()
    refused = "append-only" if store.kind == "sqlite" else "permission denied"
    for statement in (
        delete(audit_chain),
        update(audit_chain).values(hash="x"),
        update(audit_checkpoints).values(hash="x"),
        delete(audit_checkpoints),
    ):
        with pytest.raises(DBAPIError, match=refused), chain.engine.begin() as conn:
            conn.execute(statement)
    chain.mark_published(chain.checkpoints())  # the one change allowed
    assert chain.checkpoints(unpublished=True) == []
    assert chain.verify().ok


def test_two_followers_extending_the_chain_at_once_chain_each_event_once(store: StoreUnderTest) -> None:
    history(store)  # chains 16 events
    for n in range(5):
        store.casework.execute(intake(personal__amka=make_amka(date(1971, 1, 1), n)))
    first = store.kentra.audit_chain(store.tenant.id)
    second = store.kentra.audit_chain(store.tenant.id)
    behind = second._head  # the second one read the head before the first one moved it
    head = behind()
    second._head = lambda: head  # type: ignore[method-assign]
    assert first.extend() == 10
    assert second.extend() == 0  # its inserts collide: nothing is chained twice, and it does not fail
    verdict = first.verify()
    assert (verdict.ok, verdict.chained) == (True, 26)
