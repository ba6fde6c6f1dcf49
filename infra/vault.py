"""The personal-data vault of one tenant: wrapped subject keys and blind-index claims, in SQL.

These tables are the only mutable ones in a tenant's store: deleting a row of
``vault_subject_keys`` is how a person's data are erased from an immutable log. The ids of the
subjects erased so (``vault_erased_subjects``, ids only) are kept, so that no key is ever made for
them again: a value sealed under a new key would not open with the old values' key, nor they with it.

A sealed value that does not open (its key erased, deleted, replaced or damaged, or the value itself
altered) reads as erased: ``unseal`` gives None and never raises, so no read or fold of a tenant's
log stops at one bad value.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from eventsourcing import persistence
from psycopg import sql
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    String,
    Table,
    Uuid,
    bindparam,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from domain.errors import BeneficiaryErasedError, PersonalDataUnreadableError
from infra.crypto import (
    SealedDataError,
    TenantKeys,
    new_data_key,
    seal,
    seal_bytes,
    sealed_subject,
    unseal,
    unseal_bytes,
)
from infra.vault_keys import KeyMaintenance
from infra.vault_tables import erased_subjects, lookup, metadata, name_index, subject_keys, tenant_secrets

__all__ = ["SqlVault", "erased_subjects", "lookup", "metadata", "name_index", "subject_keys", "tenant_secrets"]

log = logging.getLogger("kentra.vault")

CACHE_SIZE = 4096
# PostgreSQL: the rows a batch writes travel as one array per column, unnested by one statement (a
# batch of 500 intakes writes some 6,000 name indexes: one statement, not 6,000 in a pipeline).
UNNESTED = 20_000


def _unnested(**columns: tuple[list[Any], Any]) -> Any:
    """PostgreSQL: rows given as one array per column, as a table (``unnest(:a, :b) AS t(a, b)``), so
    one statement with one parameter per column writes them all, however many there are."""
    arrays = [bindparam(name, values, ARRAY(kind)) for name, (values, kind) in columns.items()]
    return func.unnest(*arrays).table_valued(*columns).render_derived()


class HeldUnit(Protocol):
    """A transaction of the event store's, open on this thread as this tenant's role, that the vault
    may join (``infra/pg_pool.py``'s unit): its keys and claims then commit with the events."""

    def rows(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]: ...

    def send(self, statement: str, params: Any = None) -> None: ...

    def after_commit(self, then: Callable[[], None]) -> None: ...


class _InUnit:
    """The vault's PostgreSQL statements in a held unit (issue 24: an intake's key, ΑΜΚΑ claim and name
    indexes commit with its events, in the command's one transaction). A read fetches its rows (one
    round trip, with what was queued before it); a write is queued and goes with the unit's own write
    and COMMIT. Fixed statements with array parameters, rendered once per schema: compiling
    SQLAlchemy's per call cost more than the round trips saved. The same tables as ``vault_tables``."""

    def __init__(self, unit: HeldUnit, statements: _UnitStatements) -> None:
        self.unit = unit
        self.sql = statements

    def keys_of(self, subject_ids: list[UUID]) -> list[tuple[Any, ...]]:
        return self.unit.rows(self.sql.keys_of, (subject_ids,))

    def erased_of(self, subject_ids: list[UUID]) -> set[UUID]:
        return {UUID(str(subject)) for (subject,) in self.unit.rows(self.sql.erased_of, (subject_ids,))}

    def holders(self, kind: str, indexes: list[str]) -> dict[str, UUID]:
        return {index: UUID(str(owner)) for index, owner in self.unit.rows(self.sql.holders, (kind, indexes))}

    def claim(self, kind: str, wanted: Mapping[str, UUID], now: datetime) -> list[str]:
        indexes = list(wanted)
        rows = self.unit.rows(self.sql.claim, (kind, now, indexes, [wanted[i] for i in indexes]))
        return [index for (index,) in rows]

    def release(self, kind: str, held: Mapping[str, UUID]) -> None:
        indexes = list(held)
        self.unit.send(self.sql.release, (indexes, [held[i] for i in indexes], kind))

    def insert_keys(self, subject_ids: list[UUID], wrapped: list[bytes], kek_version: int, now: datetime) -> None:
        self.unit.send(self.sql.insert_keys, (kek_version, now, subject_ids, wrapped))

    def insert_names(self, pairs: list[tuple[str, UUID]]) -> None:
        self.unit.send(self.sql.insert_names, ([i for i, _ in pairs], [o for _, o in pairs]))


@dataclass(frozen=True)
class _UnitStatements:
    keys_of: str
    erased_of: str
    holders: str
    claim: str
    release: str
    insert_keys: str
    insert_names: str

    @classmethod
    def of(cls, schema: str) -> _UnitStatements:
        def render(template: str, table: Table) -> str:
            return sql.SQL(template).format(t=sql.Identifier(schema, table.name)).as_string(None)

        return cls(
            keys_of=render("SELECT subject_id, wrapped_key FROM {t} WHERE subject_id = ANY(%s::uuid[])", subject_keys),
            erased_of=render("SELECT subject_id FROM {t} WHERE subject_id = ANY(%s::uuid[])", erased_subjects),
            holders=render(
                "SELECT blind_index, owner_id FROM {t} WHERE kind = %s AND blind_index = ANY(%s::text[])", lookup
            ),
            claim=render(
                "INSERT INTO {t} (kind, blind_index, owner_id, claimed_at)"
                " SELECT %s, i, o, %s FROM unnest(%s::text[], %s::uuid[]) AS u(i, o)"
                " ON CONFLICT DO NOTHING RETURNING blind_index",
                lookup,
            ),
            release=render(
                "DELETE FROM {t} USING unnest(%s::text[], %s::uuid[]) AS u(i, o)"
                " WHERE kind = %s AND blind_index = u.i AND owner_id = u.o",
                lookup,
            ),
            insert_keys=render(
                "INSERT INTO {t} (subject_id, wrapped_key, kek_version, created_at)"
                " SELECT s, w, %s, %s FROM unnest(%s::uuid[], %s::bytea[]) AS u(s, w)",
                subject_keys,
            ),
            insert_names=render(
                "INSERT INTO {t} (blind_index, owner_id)"
                " SELECT i, o FROM unnest(%s::text[], %s::uuid[]) AS u(i, o) ON CONFLICT DO NOTHING",
                name_index,
            ),
        )


@dataclass
class _Batch:
    """What one thread's batch holds until it ends: new keys, new name indexes, the subjects found to
    have no key yet, and those found erased."""

    keys: dict[UUID, bytes] = field(default_factory=dict)
    names: list[tuple[str, UUID]] = field(default_factory=list)
    keyless: set[UUID] = field(default_factory=set)
    erased: set[UUID] = field(default_factory=set)


class SqlVault(KeyMaintenance):
    """PersonalDataVault over SQLAlchemy: SQLite file or a PostgreSQL schema."""

    def __init__(
        self,
        engine: Engine,
        keys: TenantKeys,
        schema: str | None = None,
        unit: Callable[[], HeldUnit | None] | None = None,
    ) -> None:
        self._engine = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
        self._schema = schema
        self._unit = unit  # the event store's open unit on this thread, as this tenant's role (PostgreSQL)
        self._statements: _UnitStatements | None = None
        self._keys = keys
        self._cache: OrderedDict[UUID, bytes] = OrderedDict()
        # A batch belongs to the thread that opened it: requests served at once never share one.
        self._local = threading.local()
        self._lock = threading.Lock()  # guards the key cache, shared by every thread

    def create_tables(self) -> None:
        metadata.create_all(self._engine)

    def _held(self) -> _InUnit | None:
        unit = self._unit() if self._unit is not None and self._schema else None
        if unit is None or not self._schema:
            return None
        if self._statements is None:
            self._statements = _UnitStatements.of(self._schema)
        return _InUnit(unit, self._statements)

    @contextmanager
    def _reading(self) -> Iterator[Connection | _InUnit]:
        """The thread's unit of this tenant if one is open (no connection of its own), else a connection."""
        held = self._held()
        if held is not None:
            yield held
            return
        with self._engine.connect() as conn:
            yield conn

    @contextmanager
    def _writing(self) -> Iterator[Connection | _InUnit]:
        """The thread's unit of this tenant if one is open (committed with it), else a transaction."""
        held = self._held()
        if held is not None:
            yield held
            return
        with self._engine.begin() as conn:
            yield conn

    def _remember_all(self, keys: Mapping[UUID, bytes]) -> None:
        for subject_id, data_key in keys.items():
            self._remember(subject_id, data_key)

    def _remember(self, subject_id: UUID, data_key: bytes) -> bytes:
        with self._lock:
            self._cache[subject_id] = data_key
            self._cache.move_to_end(subject_id)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return data_key

    def _unwrap(self, subject_id: UUID, wrapped: bytes) -> bytes | None:
        """The data key in a stored row, or None where it does not unwrap (the row was replaced by another
        subject's, altered, or wrapped under a key this process does not hold)."""
        try:
            return self._keys.unwrap(subject_id, bytes(wrapped))
        except (InvalidTag, ValueError):
            log.warning("a stored subject key does not unwrap: what it seals reads as erased")
            return None

    def _stored_key(self, subject_id: UUID) -> bytes | None:
        """The subject's key as stored (wrapped), or None if they have none."""
        with self._reading() as conn:
            if isinstance(conn, _InUnit):
                rows = [(wrapped,) for _, wrapped in conn.keys_of([subject_id])]
            else:
                rows = list(
                    conn.execute(select(subject_keys.c.wrapped_key).where(subject_keys.c.subject_id == subject_id))
                )
        return None if not rows else bytes(rows[0][0])

    def _was_erased(self, conn: Connection | _InUnit, subject_ids: Iterable[UUID]) -> set[UUID]:
        wanted = list(dict.fromkeys(subject_ids))
        if isinstance(conn, _InUnit):
            return conn.erased_of(wanted)
        erased: set[UUID] = set()
        for start in range(0, len(wanted), 500):
            rows = conn.execute(
                select(erased_subjects.c.subject_id).where(
                    erased_subjects.c.subject_id.in_(wanted[start : start + 500])
                )
            )
            erased.update(UUID(str(subject)) for (subject,) in rows)
        return erased

    def is_erased(self, subject_id: UUID) -> bool:
        """Whether this subject's key was destroyed by an erasure (``forget``)."""
        with self._reading() as conn:
            return bool(self._was_erased(conn, [subject_id]))

    def preload(self, tokens: Iterable[str]) -> None:
        """Fetch at once the keys that open these sealed values (a fold about to open them one by one)."""
        subjects = []
        for token in tokens:
            try:
                subjects.append(sealed_subject(token))
            except SealedDataError:
                continue  # not a sealed value: unseal reads it as erased
        self.preload_subjects(subjects)

    def preload_subjects(self, subject_ids: Iterable[UUID]) -> None:
        """Fetch at once these subjects' keys. Within a batch, a subject found without one is noted (and
        whether they were erased), so sealing for it makes its new key, or refuses, without asking again."""
        wanted = []
        with self._lock:
            for subject_id in dict.fromkeys(subject_ids):
                if subject_id in self._cache:
                    self._cache.move_to_end(subject_id)  # kept: the keys fetched below must not push it out
                else:
                    wanted.append(subject_id)
        wanted = wanted[:CACHE_SIZE]
        if not wanted:
            return
        found: set[UUID] = set()
        batch = self._batch
        with self._reading() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows: Iterable[Any] = (
                    conn.keys_of(chunk)
                    if isinstance(conn, _InUnit)
                    else conn.execute(
                        select(subject_keys.c.subject_id, subject_keys.c.wrapped_key).where(
                            subject_keys.c.subject_id.in_(chunk)
                        )
                    )
                )
                for subject, wrapped in rows:
                    subject_id = UUID(str(subject))
                    found.add(subject_id)
                    data_key = self._unwrap(subject_id, wrapped)
                    if data_key is not None:
                        self._remember(subject_id, data_key)
            if batch is not None:
                # Asked after the keys: an erasure deletes the key and writes the tombstone at once, so a
                # subject whose key was not there yet is erased only if the tombstone shows it now.
                keyless = [s for s in wanted if s not in found]
                erased = self._was_erased(conn, keyless) if keyless else set()
                batch.erased.update(erased)
                batch.keyless.update(s for s in keyless if s not in erased)

    def _data_key(self, subject_id: UUID, *, create: bool) -> bytes | None:
        """The subject's data key. With ``create``, a subject without one gets a new one, unless they were
        erased (BeneficiaryErasedError) or their stored key does not unwrap (PersonalDataUnreadableError)."""
        held = self._held_key(subject_id)
        if held is not None:
            return held
        batch = self._batch
        erased = batch is not None and subject_id in batch.erased
        asked = erased or (batch is not None and subject_id in batch.keyless)  # preload found no key
        wrapped = None if asked else self._stored_key(subject_id)
        if wrapped is not None:
            data_key = self._unwrap(subject_id, wrapped)
            if data_key is None and create:
                raise PersonalDataUnreadableError(subject_id)
            return None if data_key is None else self._remember(subject_id, data_key)
        if not create:
            return None
        if erased or (not asked and self.is_erased(subject_id)):
            raise BeneficiaryErasedError(subject_id)
        return self._new_key(subject_id)

    def _held_key(self, subject_id: UUID) -> bytes | None:
        """A key this process holds already: cached, or made by this thread's batch."""
        with self._lock:
            cached = self._cache.get(subject_id)
            if cached is not None:
                self._cache.move_to_end(subject_id)
                return cached
        batch = self._batch
        return None if batch is None else batch.keys.get(subject_id)

    def _new_key(self, subject_id: UUID) -> bytes:
        data_key = new_data_key()
        batch = self._batch
        if batch is not None:  # written with the batch's other keys, when it ends
            batch.keys[subject_id] = data_key
            return data_key
        with self._engine.begin() as conn:
            self._insert_keys(conn, {subject_id: data_key})
        return self._remember(subject_id, data_key)

    def _insert_keys(self, conn: Connection | _InUnit, keys: Mapping[UUID, bytes]) -> None:
        """Store new keys; refused (the whole transaction) if any subject was erased meanwhile."""
        if not keys:
            return
        erased = self._was_erased(conn, keys)
        if erased:
            raise BeneficiaryErasedError(next(iter(erased)))
        now = datetime.now(UTC)
        if isinstance(conn, _InUnit):
            subjects = list(keys)
            conn.insert_keys(subjects, [self._keys.wrap(s, keys[s]) for s in subjects], self._keys.kek_version, now)
            return
        if self._postgres:
            subjects = list(keys)
            for start in range(0, len(subjects), UNNESTED):
                chunk = subjects[start : start + UNNESTED]
                rows = _unnested(
                    subject_id=(chunk, Uuid), wrapped_key=([self._keys.wrap(s, keys[s]) for s in chunk], LargeBinary)
                )
                version = bindparam("kek_version", self._keys.kek_version, Integer)
                source = select(rows.c.subject_id, rows.c.wrapped_key, version, bindparam("now", now, DateTime(True)))
                columns = ["subject_id", "wrapped_key", "kek_version", "created_at"]
                conn.execute(insert(subject_keys).from_select(columns, source))
            return
        rows = [
            {
                "subject_id": subject_id,
                "wrapped_key": self._keys.wrap(subject_id, data_key),
                "kek_version": self._keys.kek_version,
                "created_at": now,
            }
            for subject_id, data_key in keys.items()
        ]
        conn.execute(insert(subject_keys), rows)

    @property
    def _postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    def _insert_ignoring(self, table: Table, rows: list[dict[str, Any]] | None = None) -> Any:
        """INSERT that skips rows whose key is there already (both dialects spell it ON CONFLICT DO NOTHING);
        with ``rows``, one statement of that many VALUES."""
        dialect = pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        statement = dialect(table) if rows is None else dialect(table).values(rows)
        return statement.on_conflict_do_nothing()

    @property
    def _batch(self) -> _Batch | None:
        """This thread's open batch, if any: requests served at once never share one."""
        batch: _Batch | None = getattr(self._local, "batch", None)
        return batch

    @contextmanager
    def batch(self) -> Iterator[None]:
        if self._batch is not None:  # nested: the outer batch writes
            yield
            return
        batch = self._local.batch = _Batch()
        try:
            yield
            held = self._held() if batch.keys or batch.names else None
            if held is not None:
                # In the command's transaction: its keys and name indexes are queued, and commit (or roll
                # back) with its events. The keys are this process's to use once they are stored.
                self._insert_keys(held, batch.keys)
                self._insert_index(held, batch.names)
                made = dict(batch.keys)
                held.unit.after_commit(lambda: self._remember_all(made))
                return
            if batch.keys or batch.names:
                try:
                    with self._engine.begin() as conn:  # the batch's new keys and name indexes: one transaction
                        self._insert_keys(conn, batch.keys)
                        self._insert_index(conn, batch.names)
                except IntegrityError as error:
                    # Another writer stored a key for one of these (new) subjects meanwhile: the same
                    # command recorded at once elsewhere. A conflict, as the log's, so the caller
                    # reads afresh (and replays it) instead of failing; nothing of the batch is kept.
                    raise persistence.IntegrityError("a new subject's key was stored meanwhile") from error
            self._remember_all(batch.keys)
        finally:
            self._local.batch = None

    def seal(self, subject_id: UUID, data: Mapping[str, Any]) -> str:
        data_key = self._data_key(subject_id, create=True)
        assert data_key is not None  # create=True always yields a key
        return seal(data_key, subject_id, data)

    def unseal(self, token: str) -> dict[str, Any] | None:
        """The sealed data, or None where they cannot be opened: the key was erased or is missing, does
        not unwrap, or the value was altered. Never raises, so one bad value never stops a read or a fold."""
        try:
            data_key = self._data_key(sealed_subject(token), create=False)
            return None if data_key is None else unseal(data_key, token)
        except SealedDataError:
            log.warning("a sealed value does not open with its subject's key: it reads as erased")
            return None

    def seal_bytes(self, subject_id: UUID, data: bytes) -> bytes:
        data_key = self._data_key(subject_id, create=True)
        assert data_key is not None  # create=True always yields a key
        return seal_bytes(data_key, subject_id, data)

    def unseal_bytes(self, subject_id: UUID, sealed: bytes) -> bytes | None:
        """The file's bytes, or None where they cannot be opened (erased key, altered bytes)."""
        try:
            data_key = self._data_key(subject_id, create=False)
            return None if data_key is None else unseal_bytes(data_key, subject_id, sealed)
        except SealedDataError:
            log.warning("a sealed file does not open with its subject's key: it reads as erased")
            return None

    def blind_index(self, kind: str, value: str) -> str:
        return self._keys.blind_index(kind, value)

    def fingerprint(self, data: bytes) -> str:
        return self._keys.fingerprint(data)

    def lookup(self, kind: str, index: str) -> UUID | None:
        with self._reading() as conn:
            if isinstance(conn, _InUnit):
                return conn.holders(kind, [index]).get(index)
            rows = list(
                conn.execute(select(lookup.c.owner_id).where(lookup.c.kind == kind, lookup.c.blind_index == index))
            )
        return None if not rows else UUID(str(rows[0][0]))

    def lookup_many(self, kind: str, indexes: Iterable[str]) -> dict[str, UUID]:
        """Who holds each of these indexes; those nobody holds are left out."""
        with self._reading() as conn:
            return self._holders(conn, kind, list(dict.fromkeys(indexes)))

    def _holders(self, conn: Connection | _InUnit, kind: str, indexes: list[str]) -> dict[str, UUID]:
        if isinstance(conn, _InUnit):
            return conn.holders(kind, indexes) if indexes else {}
        held: dict[str, UUID] = {}
        for start in range(0, len(indexes), 500):
            rows = conn.execute(
                select(lookup.c.blind_index, lookup.c.owner_id).where(
                    lookup.c.kind == kind, lookup.c.blind_index.in_(indexes[start : start + 500])
                )
            )
            held.update((index, UUID(str(owner))) for index, owner in rows)
        return held

    def claim_many(self, kind: str, wanted: Mapping[str, UUID]) -> dict[str, UUID]:
        """``claim`` for many indexes in one transaction: who holds each one afterwards."""
        if not wanted:
            return {}
        now = datetime.now(UTC)
        held: dict[str, UUID] = {}
        with self._writing() as conn:
            if isinstance(conn, _InUnit):
                held.update((index, wanted[index]) for index in conn.claim(kind, wanted, now))
            elif self._postgres:
                indexes = list(wanted)
                for start in range(0, len(indexes), UNNESTED):
                    chunk = indexes[start : start + UNNESTED]
                    rows = _unnested(blind_index=(chunk, String), owner_id=([wanted[i] for i in chunk], Uuid))
                    claimed = bindparam("kind", kind, String), bindparam("now", now, DateTime(True))
                    source = select(claimed[0], rows.c.blind_index, rows.c.owner_id, claimed[1])
                    statement = (
                        pg_insert(lookup)
                        .from_select(["kind", "blind_index", "owner_id", "claimed_at"], source)
                        .on_conflict_do_nothing()
                        .returning(lookup.c.blind_index)
                    )
                    held.update((index, wanted[index]) for (index,) in conn.execute(statement))
            else:
                values = [{"kind": kind, "blind_index": i, "owner_id": o, "claimed_at": now} for i, o in wanted.items()]
                for start in range(0, len(values), 200):
                    statement = self._insert_ignoring(lookup, values[start : start + 200])
                    held.update(
                        (index, wanted[index]) for (index,) in conn.execute(statement.returning(lookup.c.blind_index))
                    )
            taken = [index for index in wanted if index not in held]  # by someone before: who?
            held.update(self._holders(conn, kind, taken))
        return held

    def release_many(self, kind: str, held: Mapping[str, UUID]) -> None:
        """``release`` for many indexes in one transaction."""
        if not held:
            return
        with self._writing() as conn:
            if isinstance(conn, _InUnit):
                conn.release(kind, held)
                return
            for index, owner in held.items():
                conn.execute(
                    delete(lookup).where(
                        lookup.c.kind == kind, lookup.c.blind_index == index, lookup.c.owner_id == owner
                    )
                )

    def claim(self, kind: str, index: str, owner: UUID) -> UUID:
        if self._held() is not None:
            # In the command's unit, as ``claim_many``: through the engine, its checkout would end
            # (commit) the unit, and the claim and the batch's rows would be kept if the save then failed.
            holder = self.claim_many(kind, {index: owner}).get(index)
            return self.claim(kind, index, owner) if holder is None else holder  # released in between
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(lookup).values(kind=kind, blind_index=index, owner_id=owner, claimed_at=datetime.now(UTC))
                )
        except IntegrityError:
            holder = self.lookup(kind, index)
            if holder is None:  # released in between: try once more
                return self.claim(kind, index, owner)
            return holder
        return owner

    def release(self, kind: str, index: str, owner: UUID) -> None:
        if self._held() is not None:  # in the command's unit (see ``claim``)
            self.release_many(kind, {index: owner})
            return
        with self._engine.begin() as conn:
            conn.execute(
                delete(lookup).where(lookup.c.kind == kind, lookup.c.blind_index == index, lookup.c.owner_id == owner)
            )

    def forget(self, subject_id: UUID) -> int:
        """Erasure: the subject's key and every blind index of theirs go, and their id is kept as erased
        (so no key is made for them again), in one transaction."""
        with self._lock:
            self._cache.pop(subject_id, None)
        with self._engine.begin() as conn:
            conn.execute(self._insert_ignoring(erased_subjects, [{"subject_id": subject_id}]))
            removed = conn.execute(delete(subject_keys).where(subject_keys.c.subject_id == subject_id)).rowcount
            removed += conn.execute(delete(lookup).where(lookup.c.owner_id == subject_id)).rowcount
            removed += conn.execute(delete(name_index).where(name_index.c.owner_id == subject_id)).rowcount
        return int(removed)

    def add_to_index(self, index: str, owner: UUID) -> None:
        if self._batch is not None:
            self._batch.names.append((index, owner))
        else:
            with self._engine.begin() as conn:
                self._insert_index(conn, [(index, owner)])

    def _insert_index(self, conn: Connection | _InUnit, entries: list[tuple[str, UUID]]) -> None:
        """Add the (index, owner) pairs not there yet, 500 to a statement (on PostgreSQL, all in one)."""
        pairs = list(dict.fromkeys(entries))
        if isinstance(conn, _InUnit):
            if pairs:
                conn.insert_names(pairs)
            return
        if self._postgres:
            for start in range(0, len(pairs), UNNESTED):
                chunk = pairs[start : start + UNNESTED]
                rows = _unnested(blind_index=([i for i, _ in chunk], String), owner_id=([o for _, o in chunk], Uuid))
                source = select(rows.c.blind_index, rows.c.owner_id)
                conn.execute(
                    pg_insert(name_index).from_select(["blind_index", "owner_id"], source).on_conflict_do_nothing()
                )
            return
        rows = [{"blind_index": i, "owner_id": o} for i, o in pairs]
        for start in range(0, len(rows), 500):
            conn.execute(self._insert_ignoring(name_index), rows[start : start + 500])

    def indexed(self, index: str) -> list[UUID]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(name_index.c.owner_id).where(name_index.c.blind_index == index).limit(1000))
            return [UUID(str(r[0])) for r in rows]

    def indexed_any(self, indexes: Iterable[str]) -> set[UUID]:
        """Everyone under any of these non-unique indexes (a prefix's; as many as there are)."""
        wanted = list(dict.fromkeys(indexes))
        owners: set[UUID] = set()
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                rows = conn.execute(
                    select(name_index.c.owner_id).where(name_index.c.blind_index.in_(wanted[start : start + 500]))
                )
                owners.update(UUID(str(owner)) for (owner,) in rows)
        return owners

    def remove_from_index(self, entries: Iterable[tuple[str, UUID]]) -> None:
        """Take these (index, owner) pairs out of the non-unique index (a name since amended)."""
        pairs = list(dict.fromkeys(entries))
        if not pairs:
            return
        with self._engine.begin() as conn:
            for index, owner in pairs:
                conn.execute(
                    delete(name_index).where(name_index.c.blind_index == index, name_index.c.owner_id == owner)
                )

    def reindex(self, owner: UUID, indexes: Iterable[str]) -> tuple[int, int]:
        """Make ``owner``'s entries in the non-unique index exactly ``indexes``, in one transaction:
        how many were added and how many removed (both 0 when they were so already)."""
        wanted = set(indexes)
        with self._engine.begin() as conn:
            held = {
                str(index)
                for (index,) in conn.execute(select(name_index.c.blind_index).where(name_index.c.owner_id == owner))
            }
            stale = held - wanted
            for index in stale:
                conn.execute(
                    delete(name_index).where(name_index.c.blind_index == index, name_index.c.owner_id == owner)
                )
            self._insert_index(conn, [(index, owner) for index in sorted(wanted - held)])
        return len(wanted - held), len(stale)
