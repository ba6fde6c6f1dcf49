"""Tamper evidence: rows changed, deleted, reordered or inserted behind the application's back are found."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date

import psycopg
import pytest

from domain.identifiers import make_amka
from infra.stores import PostgresStorage, SqliteStorage
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
