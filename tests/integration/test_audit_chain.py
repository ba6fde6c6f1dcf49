"""Tamper evidence: every kind of change behind the application's back is reported by `audit verify`.

Each attack is made as the attacker could: with the tenant's own PostgreSQL role (its real
credentials) where that role is enough, else as a superuser with the triggers bypassed, or as
whoever holds the SQLite files with the triggers dropped. None of them holds the master key.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from uuid import UUID, uuid4

import psycopg
import pytest
from alembic import command as alembic_command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from domain.identifiers import make_amka
from gateways.kafka.checkpoints import publish_checkpoints, read_published
from gateways.kafka.gateway import KafkaSink
from infra.bootstrap import bootstrap
from infra.migrations.runner import alembic_config
from infra.stores import PostgresStorage, SqliteStorage
from projections.audit import Checkpoint, genesis, link, unsealed_state
from projections.tables import audit_chain, audit_checkpoints
from tests.conftest import StoreUnderTest, command, intake, service_url


def history(store: StoreUnderTest, start: int = 0, people: int = 4) -> list[str]:
    """Each person: an intake (2 events: the person, the command record) and a request (2 more)."""
    ids = []
    for n in range(start, start + people):
        person = store.casework.execute(intake(personal__amka=make_amka(date(1970, 1, 1), n))).entry_id
        ids.append(str(person))
        store.casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(person),
                category="gmi",
                structure="centre",
                occurred_on="2024-05-02",
            )
        )
    store.kentra.audit_chain(store.tenant.id).extend()
    return ids


def raw(store: StoreUnderTest, statements: list[str], *, audit: bool = False) -> None:
    """SQL as someone who can get around the triggers: a superuser, or whoever holds the files.

    ``{table}`` is the events table, ``{id}`` its position column, ``{chain}`` and ``{checkpoints}``
    the audit tables."""
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, SqliteStorage):
        with sqlite3.connect(storage.events_file) as conn:
            conn.execute("ATTACH DATABASE ? AS views", (str(storage.views_file),))
            for trigger in (
                "main.stored_events_refuse_update",
                "main.stored_events_refuse_delete",
                "views.audit_chain_keyed_refuse_update",
                "views.audit_chain_keyed_refuse_delete",
                "views.audit_checkpoints_refuse_delete",
            ):
                conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            for statement in statements:
                conn.execute(
                    statement.format(
                        table="stored_events",
                        id="rowid",
                        chain="views.audit_chain_keyed",
                        checkpoints="views.audit_checkpoints",
                    )
                )
        return
    assert isinstance(storage, PostgresStorage)
    with psycopg.connect(service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL"), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # what a superuser can do: skip the triggers
        for statement in statements:
            conn.execute(
                statement.format(
                    table=f"{storage.schema}.casework_events",
                    id="notification_id",
                    chain=f"{storage.schema}.audit_chain_keyed",
                    checkpoints=f"{storage.schema}.audit_checkpoints",
                )
            )


def replaced(store: StoreUnderTest, old: str, new: str) -> str:
    """SQL for the stored state with ``old`` replaced by ``new`` (bytes on PostgreSQL)."""
    if store.kind == "sqlite":
        return f"replace(state, '{old}', '{new}')"
    return f"convert_to(replace(convert_from(state, 'UTF8'), '{old}', '{new}'), 'UTF8')"


def verdict_of(store: StoreUnderTest, published: list[Checkpoint] | None = None) -> tuple[str | None, int | None]:
    verdict = store.kentra.audit_chain(store.tenant.id).verify(published or [])
    assert verdict.ok == (verdict.kind is None), verdict
    return verdict.kind, verdict.first_broken


def rechain_without_the_key(store: StoreUnderTest, after: int) -> None:
    """Recompute the public chain from ``after`` on, as anyone can; the MACs they can only guess."""
    chain = store.kentra.audit_chain(store.tenant.id)
    previous = chain.hash_at(after)
    assert previous is not None
    rows = []
    for stored in chain.stored_events():
        if stored.id > after:
            previous = link(previous, stored)
            guess = hmac.new(b"a guessed key", previous.encode(), hashlib.sha256).hexdigest()
            rows.append(
                f"INSERT INTO {{chain}} (position, hash, mac, legacy)"
                f" VALUES ({stored.id}, '{previous}', '{guess}', false)"
            )
    raw(store, [f"DELETE FROM {{chain}} WHERE position > {after}", *rows])


def test_an_untouched_log_verifies(store: StoreUnderTest) -> None:
    history(store)
    verdict = store.kentra.audit_chain(store.tenant.id).verify()
    assert (verdict.ok, verdict.chained, verdict.pending) == (True, 16, 0)
    assert verdict.witnessed == 1  # the follower witnessed the head it reached
    store.casework.execute(intake(personal__amka=make_amka(date(1970, 1, 1), 99)))
    assert store.kentra.audit_chain(store.tenant.id).verify().pending == 2  # recorded, not yet chained


def test_an_altered_event_is_reported(store: StoreUnderTest) -> None:
    history(store)
    raw(store, ["UPDATE {table} SET state = state || 'x' WHERE {id} = 7"])
    assert verdict_of(store) == ("altered", 7)


def test_a_change_to_a_row_not_yet_chained_is_reported(store: StoreUnderTest) -> None:
    history(store)
    store.casework.execute(intake(personal__amka=make_amka(date(1970, 1, 1), 50)))  # 17 and 18, not chained
    raw(store, ["UPDATE {table} SET state = " + replaced(store, "centre", "roma-branch") + " WHERE {id} = 17"])
    assert verdict_of(store) == ("altered", 17)


def test_a_deleted_event_is_reported(store: StoreUnderTest) -> None:
    history(store)
    raw(store, ["DELETE FROM {table} WHERE {id} = 7"])
    assert verdict_of(store) == ("deleted", 7)


def test_reordered_events_are_reported(store: StoreUnderTest) -> None:
    history(store)
    raw(
        store,
        [
            "UPDATE {table} SET {id} = 1000 WHERE {id} = 7",
            "UPDATE {table} SET {id} = 7 WHERE {id} = 8",
            "UPDATE {table} SET {id} = 8 WHERE {id} = 1000",
        ],
    )
    assert verdict_of(store) == ("reordered", 7)


def forged_state(store: StoreUnderTest, position: int) -> bytes:
    """A realistic event: a genuine one's JSON, without the seal only Kentra can make."""
    stored = next(e for e in store.kentra.audit_chain(store.tenant.id).stored_events() if e.id == position)
    return unsealed_state(bytes(stored.state)).replace(b"gmi", b"housing")


def test_an_event_appended_with_its_chain_row_by_the_tenants_own_role_is_refused_or_reported(
    store: StoreUnderTest,
) -> None:
    history(store)
    chain = store.kentra.audit_chain(store.tenant.id)
    state, topic = forged_state(store, 3), next(e.topic for e in chain.stored_events() if e.id == 3)
    head = chain.hash_at(16)
    assert head is not None
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, PostgresStorage):
        # The tenant's own role, with its real password: it may insert events (the library needs
        # to), but not chain rows, so the forged row and its chain row together are refused...
        with storage.tenant_connection() as conn:
            forged = conn.execute(
                f"INSERT INTO {storage.schema}.casework_events (originator_id, originator_version, topic, state) "
                "VALUES (%s, 1, %s, %s) RETURNING notification_id",
                (uuid4(), topic, state),
            ).fetchone()
            assert forged is not None
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(
                    f"INSERT INTO {storage.schema}.audit_chain_keyed (position, hash, mac) VALUES (%s, %s, %s)",
                    (forged[0], "0" * 64, "0" * 64),
                )
        # ...and the forged row alone, committed, is reported before and after the follower chains it.
        with storage.tenant_connection(autocommit=True) as conn:
            row = conn.execute(
                f"INSERT INTO {storage.schema}.casework_events (originator_id, originator_version, topic, state) "
                "VALUES (%s, 1, %s, %s) RETURNING notification_id",
                (uuid4(), topic, state),
            ).fetchone()
            assert row is not None
        position = int(row[0])
        assert verdict_of(store) == ("forged", position)
        chain.extend()
        assert verdict_of(store) == ("forged", position)
        return
    # SQLite: whoever holds the files writes both rows, with the public hash right and a guessed MAC.
    assert isinstance(storage, SqliteStorage)
    originator = uuid4()
    forged_hash = link(
        head, SimpleNamespace(id=17, originator_id=originator, originator_version=1, topic=topic, state=state)
    )
    with sqlite3.connect(storage.events_file) as conn:
        conn.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state)"
            " VALUES (17, ?, 1, ?, ?)",
            (str(originator), topic, state),
        )
    with sqlite3.connect(storage.views_file) as conn:
        conn.execute("INSERT INTO audit_chain_keyed VALUES (17, ?, ?, 0)", (forged_hash, "0" * 64))
    assert verdict_of(store) == ("forged", 17)


def test_a_tail_cut_after_the_last_checkpoint_with_its_chain_rows_is_reported(store: StoreUnderTest) -> None:
    history(store)
    store.kentra.audit_chain(store.tenant.id).checkpoint()  # signs position 16
    history(store, start=10, people=2)  # 17..24, chained (and the head witnessed), not signed in the store
    raw(store, ["DELETE FROM {table} WHERE {id} > 16", "DELETE FROM {chain} WHERE position > 16"])
    assert verdict_of(store) == ("truncated", 24)


@pytest.mark.parametrize("where", ["before", "after"], ids=["before-the-checkpoint", "after-the-checkpoint"])
def test_an_altered_event_re_chained_is_reported(store: StoreUnderTest, where: str) -> None:
    history(store)
    store.kentra.audit_chain(store.tenant.id).checkpoint()  # signs position 16
    history(store, start=10, people=2)
    position = 7 if where == "before" else 20
    change = replaced(store, "gmi", "housing")
    raw(store, [f"UPDATE {{table}} SET state = {change} WHERE {{id}} = {position}"])
    rechain_without_the_key(store, position - 1)
    assert verdict_of(store) == ("rechained", position)


def test_a_key_deleted_from_the_vault_without_an_erasure_is_reported(store: StoreUnderTest) -> None:
    people = history(store)
    store.kentra.erase(store.tenant.id, UUID(people[0]), reason="test", legal_ground="court order", erased_by="dpo")
    store.kentra.audit_chain(store.tenant.id).extend()
    assert verdict_of(store) == (None, None)  # an erasure in the log: the key may be gone
    storage = store.kentra.storage(store.tenant.id)
    silent = "DELETE FROM {vault} WHERE subject_id = '{subject}'"
    if isinstance(storage, PostgresStorage):  # the tenant's own role may delete keys: erasure needs it
        with storage.tenant_connection(autocommit=True) as conn:
            conn.execute(silent.format(vault=f"{storage.schema}.vault_subject_keys", subject=people[2]))
    else:
        assert isinstance(storage, SqliteStorage)
        engine = create_engine(f"sqlite:///{storage.vault_file}")
        with engine.begin() as conn:
            stored = conn.exec_driver_sql("SELECT subject_id FROM vault_subject_keys").scalars().all()
            subject = next(s for s in stored if str(s).replace("-", "") == people[2].replace("-", ""))
            conn.exec_driver_sql("DELETE FROM vault_subject_keys WHERE subject_id = ?", (subject,))
        engine.dispose()
    kind, position = verdict_of(store)
    assert kind == "silent-erasure"
    assert position == 9  # the person's own first event: the intake of the third person


def test_deleted_checkpoints_are_reported_against_the_witness(store: StoreUnderTest) -> None:
    history(store)
    signed = store.kentra.audit_chain(store.tenant.id).checkpoint()
    raw(store, ["DELETE FROM {checkpoints}"])
    assert verdict_of(store) == ("checkpoint-deleted", signed.position)


def test_deleted_checkpoints_are_reported_against_the_copies_on_the_topic(store: StoreUnderTest) -> None:
    servers = service_url("KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS")
    topic = f"test.checkpoints.{uuid4().hex[:8]}"
    history(store)
    chain = store.kentra.audit_chain(store.tenant.id)
    signed = chain.checkpoint()
    sink = KafkaSink(servers, topic=topic)
    try:
        assert publish_checkpoints(chain, sink) == 1
    finally:
        sink.close()
    raw(store, ["DELETE FROM {checkpoints}"])
    (store.kentra.witness_dir / f"{store.tenant.id}.jsonl").unlink()  # the attacker reached the witness too
    assert verdict_of(store) == (None, None)  # nothing left in reach contradicts the store...
    published = read_published(servers, store.tenant.id, topic=topic)
    assert verdict_of(store, published) == ("checkpoint-deleted", signed.position)  # ...but the topic does


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
    assert verdict_of(store) == ("checkpoint-forged", genuine.position)


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


def test_the_applications_role_cannot_write_the_audit_tables_and_the_chain_role_only_append(
    store: StoreUnderTest,
) -> None:
    history(store)
    chain = store.kentra.audit_chain(store.tenant.id)
    chain.checkpoint()
    views, schema = store.kentra.storage(store.tenant.id).views_engine()
    api = views.execution_options(schema_translate_map={None: schema}) if schema else views
    row = {"position": 10_000, "hash": "0" * 64, "mac": "0" * 64, "legacy": False}
    if store.kind == "postgres":  # the role the API runs as may read the audit tables, nothing more
        for statement in (
            insert(audit_chain).values(**row),
            insert(audit_checkpoints).values(position=1, hash="x", signed_at="x", public_key="x", signature="x"),
            update(audit_checkpoints).values(published_at=datetime.now(UTC)),
        ):
            with pytest.raises(DBAPIError, match="permission denied"), api.begin() as conn:
                conn.execute(statement)
        with api.connect() as conn:
            assert len(conn.execute(select(audit_chain)).all()) == 16
    refused = "append-only" if store.kind == "sqlite" else "immutable|permission denied"
    for change in (
        delete(audit_chain),
        update(audit_chain).values(hash="x"),
        update(audit_checkpoints).values(hash="x"),
        delete(audit_checkpoints),
    ):
        with pytest.raises(DBAPIError, match=refused), chain.engine.begin() as conn:
            conn.execute(change)
    chain.mark_published(chain.checkpoints())  # the one change allowed
    assert chain.checkpoints(unpublished=True) == []
    assert chain.verify().ok


def test_two_followers_extending_the_chain_at_once_chain_each_event_once(store: StoreUnderTest) -> None:
    history(store)  # chains 16 events
    for n in range(5):
        store.casework.execute(intake(personal__amka=make_amka(date(1971, 1, 1), n)))
    first = store.kentra.audit_chain(store.tenant.id)
    second = store.kentra.audit_chain(store.tenant.id)
    head = second._head()  # the second one read the head before the first one moved it
    second._head = lambda: head  # type: ignore[method-assign]
    assert first.extend() == 10
    assert second.extend() == 0  # its inserts collide: nothing is chained twice, and it does not fail
    verdict = first.verify()
    assert (verdict.ok, verdict.chained) == (True, 26)


def test_the_chain_starts_from_the_genesis_of_the_tenant(store: StoreUnderTest) -> None:
    assert store.kentra.audit_chain(store.tenant.id).hash_at(0) == genesis(store.tenant.id)


def forge_unsealed(store: StoreUnderTest, position: int) -> int:
    """A row without a seal appended with the tenant's own role (PostgreSQL) or by the file's holder."""
    stored = next(e for e in store.kentra.audit_chain(store.tenant.id).stored_events() if e.id == position)
    state, topic = unsealed_state(bytes(stored.state)), stored.topic
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, PostgresStorage):
        with storage.tenant_connection(autocommit=True) as conn:
            row = conn.execute(
                f"INSERT INTO {storage.schema}.casework_events (originator_id, originator_version, topic, state) "
                "VALUES (%s, 1, %s, %s) RETURNING notification_id",
                (uuid4(), topic, state),
            ).fetchone()
            assert row is not None
            return int(row[0])
    assert isinstance(storage, SqliteStorage)
    with sqlite3.connect(storage.events_file) as conn:
        cursor = conn.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
            (str(uuid4()), topic, state),
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)


def test_a_store_from_before_the_keyed_chain_upgrades_through_tenants_sync(
    store: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as before:  # the code before seals: its events carry none
        before.setattr("infra.bootstrap.seal_env", lambda key: {})
        old = bootstrap(store.settings, registry=store.kentra.registry, today=store.clock)
        history(StoreUnderTest(store.kind, old, store.tenant, store.clock, store.settings))
        old.close()
    (store.kentra.witness_dir / f"{store.tenant.id}.jsonl").unlink()  # the code before had no witness either
    storage = store.kentra.storage(store.tenant.id)
    # Back to how stores were: migration 0004, the application role allowed to insert audit rows.
    config = alembic_config()
    if isinstance(storage, PostgresStorage):
        owner = create_engine(storage.owner_url.set(drivername="postgresql+psycopg"))
        schema: str | None = storage.schema
    else:
        assert isinstance(storage, SqliteStorage)
        owner, schema = storage.views_engine()[0], None
    with owner.begin() as connection:
        config.attributes["connection"], config.attributes["schema"] = connection, schema
        alembic_command.downgrade(config, "0004")
    if isinstance(storage, PostgresStorage):
        with owner.begin() as connection:
            connection.exec_driver_sql(f'GRANT INSERT ON "{storage.schema}".audit_checkpoints TO "{storage.role}"')
        owner.dispose()
    store.kentra.provision(store.tenant.id)  # what `kentra tenants sync` does
    chain = store.kentra.audit_chain(store.tenant.id)
    verdict = chain.verify()  # the keyed chain is derived: built again from position 1, old events as legacy
    assert (verdict.ok, verdict.chained, verdict.pending) == (True, 16, 0)
    if isinstance(storage, PostgresStorage):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), storage.tenant_connection() as conn:
            conn.execute(
                f"INSERT INTO {storage.schema}.audit_checkpoints (position, hash, signed_at, public_key, signature)"
                " VALUES (1, 'x', 'x', 'x', 'x')"
            )
    # Once upgraded, a row without a seal is no longer taken for an old one, even before a sealed event.
    forged = forge_unsealed(store, 3)
    assert verdict_of(store) == ("forged", forged)
    chain.extend()
    assert verdict_of(store) == ("forged", forged)


def test_an_event_inserted_at_a_position_before_the_log_by_the_tenants_own_role_is_reported(
    store: StoreUnderTest,
) -> None:
    """Positions are only numbers the role may choose: a row at 0 or below is still a row the
    application folds (it reads an aggregate by its id, not by position), so verify must see it."""
    history(store)
    chain = store.kentra.audit_chain(store.tenant.id)
    stored = next(e for e in chain.stored_events() if e.id == 3)  # a request's first event
    state = unsealed_state(bytes(stored.state)).replace(b"gmi", b"housing")
    originator = uuid4()
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, PostgresStorage):
        with storage.tenant_connection(autocommit=True) as conn:
            conn.execute(
                f"INSERT INTO {storage.schema}.casework_events"
                " (notification_id, originator_id, originator_version, topic, state) VALUES (0, %s, 1, %s, %s)",
                (originator, stored.topic, state),
            )
    else:
        assert isinstance(storage, SqliteStorage)
        with sqlite3.connect(storage.events_file) as conn:
            conn.execute(
                "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state)"
                " VALUES (0, ?, 1, ?, ?)",
                (originator.hex, stored.topic, state),
            )
    assert store.fresh_casework().repository.get(originator).id == originator  # the application reads it
    kind, _ = verdict_of(store)
    assert kind == "forged"


def test_a_key_replaced_in_the_vault_without_an_erasure_is_reported(store: StoreUnderTest) -> None:
    """The tenant's role may update keys; one that no longer opens erases its subject as surely as a delete."""
    people = history(store)
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, PostgresStorage):
        with storage.tenant_connection(autocommit=True) as conn:
            conn.execute(
                f"UPDATE {storage.schema}.vault_subject_keys SET wrapped_key ="
                f" (SELECT wrapped_key FROM {storage.schema}.vault_subject_keys WHERE subject_id = %s)"
                " WHERE subject_id = %s",
                (UUID(people[1]), UUID(people[2])),
            )
    else:
        assert isinstance(storage, SqliteStorage)
        engine = create_engine(f"sqlite:///{storage.vault_file}")
        with engine.begin() as conn:
            stored = conn.exec_driver_sql("SELECT subject_id FROM vault_subject_keys").scalars().all()
            by_hex = {str(s).replace("-", ""): s for s in stored}
            donor, victim = (by_hex[p.replace("-", "")] for p in (people[1], people[2]))
            conn.exec_driver_sql(
                "UPDATE vault_subject_keys SET wrapped_key ="
                " (SELECT wrapped_key FROM vault_subject_keys WHERE subject_id = ?) WHERE subject_id = ?",
                (donor, victim),
            )
        engine.dispose()
    kind, _ = verdict_of(store)
    assert kind == "silent-erasure"  # nobody erased them, but their data no longer open


def test_a_row_whose_originator_is_not_an_id_is_reported_not_a_crash(store: StoreUnderTest) -> None:
    """Whoever holds the SQLite file may write any text where an id belongs: verify reports it, it does not raise."""
    if store.kind != "sqlite":
        pytest.skip("PostgreSQL's originator_id column is of type uuid: such a row cannot be written")
    history(store)
    storage = store.kentra.storage(store.tenant.id)
    assert isinstance(storage, SqliteStorage)
    with sqlite3.connect(storage.events_file) as conn:
        conn.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
            ("not-an-id", "domain.requests:CaseRequest.Opened", b"{}"),
        )
    kind, position = verdict_of(store)
    assert (kind, position) == ("forged", 17)


def test_an_event_forged_into_a_new_tenants_empty_log_is_not_chained_as_legacy(store: StoreUnderTest) -> None:
    """A tenant provisioned today has no events from before seals: the first build of its chain may
    not take a row without a seal, inserted before its first genuine event, for a legacy one."""
    originator = uuid4()
    state = b'{"category":"housing","structure":"centre"}'
    topic = "domain.requests:CaseRequest.Opened"
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, PostgresStorage):
        with storage.tenant_connection(autocommit=True) as conn:
            conn.execute(
                f"INSERT INTO {storage.schema}.casework_events (originator_id, originator_version, topic, state)"
                " VALUES (%s, 1, %s, %s)",
                (originator, topic, state),
            )
    else:
        assert isinstance(storage, SqliteStorage)
        with sqlite3.connect(storage.events_file) as conn:
            conn.execute(
                "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
                (originator.hex, topic, state),
            )
    assert verdict_of(store)[0] == "forged"  # before the follower chains it...
    history(store)  # genuine work follows; the follower chains the log from position 1
    assert verdict_of(store)[0] == "forged"  # ...and after


def insert_with_version(store: StoreUnderTest, version: int, state: bytes) -> int:
    """A row at any version the column takes, as the tenant's role (PostgreSQL) or the file's holder writes it."""
    storage = store.kentra.storage(store.tenant.id)
    topic = "domain.requests:CaseRequest.Opened"
    if isinstance(storage, PostgresStorage):
        with storage.tenant_connection(autocommit=True) as conn:
            row = conn.execute(
                f"INSERT INTO {storage.schema}.casework_events (originator_id, originator_version, topic, state)"
                " VALUES (%s, %s, %s, %s) RETURNING notification_id",
                (uuid4(), version, topic, state),
            ).fetchone()
            assert row is not None
            return int(row[0])
    assert isinstance(storage, SqliteStorage)
    with sqlite3.connect(storage.events_file) as conn:
        cursor = conn.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
            (uuid4().hex, version, topic, state),
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)


def test_a_row_at_a_negative_version_is_reported_and_does_not_stop_the_chain(store: StoreUnderTest) -> None:
    history(store)
    fake_seal = b"\x1ekseal1:" + b"0" * 64  # looks sealed, so its seal is checked
    position = insert_with_version(store, -1, b'{"category":"housing"}' + fake_seal)
    kind, first = verdict_of(store)  # verify reports it, it does not raise
    assert (kind in ("altered", "forged"), first) == (True, position)
    store.kentra.audit_chain(store.tenant.id).extend()  # the follower goes on past it...
    store.casework.execute(intake(personal__amka=make_amka(date(1970, 1, 1), 60)))
    store.kentra.audit_chain(store.tenant.id).extend()
    assert store.kentra.audit_chain(store.tenant.id).head_position() == position + 2  # ...to what came after


def test_a_forged_row_the_views_cannot_read_does_not_take_the_tenants_views_down(store: StoreUnderTest) -> None:
    """One INSERT by the tenant's role is reported by verify; the lists and figures go on past it."""
    history(store)
    position = insert_with_version(store, 1, b"not what Kentra writes")
    assert verdict_of(store) == ("forged", position)
    store.casework.execute(intake(personal__amka=make_amka(date(1970, 1, 1), 61)))  # genuine work after it
    views = store.kentra.views(store.tenant.id)
    views.rebuild()  # as `kentra projections rebuild` does
    assert views.position() == position + 2
