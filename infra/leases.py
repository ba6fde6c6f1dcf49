"""Leases: how any number of worker replicas (`projections run`, `gateway run`) share the tenants.

Issue 22, part 2. A lease is a row in the platform schema (``worker_leases``): one holder per (kind,
tenant) at a time, with a fencing token that grows at each new holder, so a replica that was paused
past its lease cannot move a position (or publish) afterwards. Each replica also beats in
``worker_members``, so it knows how many share the work and takes a fair share, ``ceil(tenants /
live members)``. Every time is the database's clock (seconds since the epoch), never a replica's:
replicas' clocks may disagree, the database's is one. Works on PostgreSQL and SQLite.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

metadata = MetaData()
worker_leases = Table(
    "worker_leases",
    metadata,
    Column("kind", String(40), primary_key=True),
    Column("tenant_id", String(64), primary_key=True),
    Column("holder", String(120), nullable=True),  # NULL: free
    Column("token", BigInteger, nullable=False),  # grows by one at each new holder: the fencing token
    Column("expires_at", Float, nullable=False),  # by the database's clock, seconds since the epoch
    Column("acquired_at", Float, nullable=False),
)
worker_members = Table(
    "worker_members",
    metadata,
    Column("kind", String(40), primary_key=True),
    Column("holder", String(120), primary_key=True),
    # The digest of the tenants the member follows: only members of one tenant list share it out (a
    # replica of another list, e.g. during a rolling update that adds a tenant, would never take ours).
    Column("scope", String(16), nullable=False),
    Column("expires_at", Float, nullable=False),
)


def create_tables(engine: Engine) -> None:
    """Create the lease tables if missing (``engine`` carries the platform schema's translate map)."""
    metadata.create_all(engine)


def database_now(conn: Connection) -> float:
    """The database's clock, in seconds since the epoch (``clock_timestamp``: not the transaction's start)."""
    if conn.dialect.name == "postgresql":
        return float(conn.execute(text("SELECT extract(epoch FROM clock_timestamp())::float8")).scalar_one())
    return float(conn.execute(text("SELECT (julianday('now') - 2440587.5) * 86400.0")).scalar_one())


def fair_share(tenants: int, members: int) -> int:
    """How many tenants each live member takes: all of them between the members, none left over."""
    return math.ceil(tenants / max(members, 1))


def scope_of(tenant_ids: Sequence[str]) -> str:
    """A short digest of a tenant list, the same in every replica that reads the same tenants file."""
    return hashlib.sha256("\n".join(sorted(tenant_ids)).encode()).hexdigest()[:16]


@dataclass
class Round:
    """What one renewal left: the leases held (tenant to token), and what changed."""

    tokens: dict[str, int] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)
    released: set[str] = field(default_factory=set)
    members: int = 1


class Leases:
    """One replica's leases of one kind of work (``projections``, ``gateway``, ``chain``)."""

    def __init__(
        self,
        engine: Engine,
        kind: str,
        *,
        seconds: float,
        holder: str | None = None,
        clock: Callable[[Connection], float] | None = None,
    ) -> None:
        self.engine = engine
        self.kind = kind
        self.seconds = seconds
        self.holder = holder or f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid4().hex[:8]}"
        self._now = clock or database_now  # tests give a clock of their own
        self._tokens: dict[str, int] = {}
        self._valid_until = 0.0  # by this process's monotonic clock, which runs on while it is paused
        self._shuffle = random.Random(self.holder)  # replicas starting together try tenants in other orders

    def renew(self, tenant_ids: Sequence[str]) -> Round:
        """Beat, renew what is held, give back the surplus, and take free or expired leases up to a fair share."""
        started = time.monotonic()
        wanted = sorted(set(tenant_ids))
        with self.engine.begin() as conn:
            now = self._now(conn)
            until = now + self.seconds
            live = self._beat(conn, now, until, scope_of(wanted))
            members = len(live)
            self._ensure_rows(conn, wanted)
            conn.execute(
                update(worker_leases)
                .where(self._mine(), worker_leases.c.tenant_id.in_(wanted))
                .values(expires_at=until)
            )
            rows = conn.execute(select(worker_leases.c.tenant_id, worker_leases.c.token).where(self._mine()))
            held = {str(tenant_id): int(token) for tenant_id, token in rows}
            fair = fair_share(len(wanted), members)
            # While a member holds less than the floor of a share (it just joined), the others keep only
            # the floor: four tenants for three members become 2, 1, 1 rather than 2, 2, 0.
            floor = len(wanted) // max(members, 1)
            keep = floor if min(self._counts(conn, now, wanted, live).values(), default=0) < floor else fair
            # Tenants no longer in the list, then the surplus over what this member keeps.
            surplus = [t for t in held if t not in wanted] + sorted(t for t in held if t in wanted)[keep:]
            if surplus:
                self._free(conn, surplus)
        result = Round(tokens={t: k for t, k in held.items() if t not in surplus}, released=set(surplus))
        result.members = members
        if len(result.tokens) < keep:  # what was just given back is left for the member that lacks it
            self._take([t for t in wanted if t not in result.released], keep - len(result.tokens), result)
        self._tokens = result.tokens
        self._valid_until = started + self.seconds  # the database's expiry is no earlier than this
        return result

    def holds(self, tenant_id: str, *, margin: float = 0.0) -> bool:
        """Still ours for at least ``margin`` seconds, by the last renewal: checked before each batch."""
        return tenant_id in self._tokens and time.monotonic() + margin < self._valid_until

    def token(self, tenant_id: str) -> int:
        """The fencing token of a held lease (KeyError if not held)."""
        return self._tokens[tenant_id]

    def raise_token(self, tenant_id: str, above: int) -> int | None:
        """Move a held lease's token past ``above`` (a fence newer than the lease table remembers: its rows
        were cleared, forged or brought back from an older copy); the new token, or None if not held.

        Safe only because the lease is held: no other holder can have a token above ``above`` meanwhile."""
        if tenant_id not in self._tokens:
            return None
        leases = worker_leases.c
        with self.engine.begin() as conn:
            token = conn.execute(
                update(worker_leases)
                .where(
                    self._mine(),
                    leases.tenant_id == tenant_id,
                    leases.token == self._tokens[tenant_id],
                    leases.expires_at >= self._now(conn),
                )
                .values(token=above + 1)
                .returning(leases.token)
            ).scalar()
        if token is None:
            return None  # lost meanwhile: the next renewal forgets it
        self._tokens[tenant_id] = int(token)
        return int(token)

    @property
    def held(self) -> list[str]:
        """The tenants held at the last renewal, in order."""
        return sorted(self._tokens)

    def release_all(self) -> None:
        """A clean stop: every lease given back and the membership ended, so others take over at once."""
        with self.engine.begin() as conn:
            conn.execute(update(worker_leases).where(self._mine()).values(holder=None, expires_at=0.0))
            conn.execute(
                delete(worker_members).where(worker_members.c.kind == self.kind, worker_members.c.holder == self.holder)
            )
        self._tokens = {}

    def _mine(self) -> ColumnElement[bool]:
        return (worker_leases.c.kind == self.kind) & (worker_leases.c.holder == self.holder)

    def _beat(self, conn: Connection, now: float, until: float, scope: str) -> list[str]:
        """Say this member is alive; forget the dead; the live members of this scope (with us)."""
        members = worker_members.c
        conn.execute(delete(worker_members).where(members.kind == self.kind, members.expires_at < now))
        row = {"kind": self.kind, "holder": self.holder, "scope": scope, "expires_at": until}
        upsert = _insert(conn, worker_members).values(**row)
        conn.execute(upsert.on_conflict_do_update(index_elements=["kind", "holder"], set_=row))
        live = select(members.holder).where(members.kind == self.kind, members.scope == scope)
        return [str(holder) for holder in conn.execute(live).scalars()]

    def _counts(self, conn: Connection, now: float, wanted: list[str], live: list[str]) -> dict[str, int]:
        """How many unexpired leases each live member holds (0 for one that holds none)."""
        leases = worker_leases.c
        rows = conn.execute(
            select(leases.holder, func.count())
            .where(leases.kind == self.kind, leases.tenant_id.in_(wanted), leases.expires_at >= now)
            .where(leases.holder.in_(live))
            .group_by(leases.holder)
        )
        counts = dict.fromkeys(live, 0)
        counts.update({str(holder): int(n) for holder, n in rows})
        return counts

    def _ensure_rows(self, conn: Connection, tenant_ids: list[str]) -> None:
        present = set(
            conn.execute(
                select(worker_leases.c.tenant_id).where(
                    worker_leases.c.kind == self.kind, worker_leases.c.tenant_id.in_(tenant_ids)
                )
            ).scalars()
        )
        missing = [
            {"kind": self.kind, "tenant_id": t, "holder": None, "token": 0, "expires_at": 0.0, "acquired_at": 0.0}
            for t in tenant_ids
            if t not in present
        ]
        if missing:  # another replica may add the same rows meanwhile
            conn.execute(_insert(conn, worker_leases).values(missing).on_conflict_do_nothing())

    def _free(self, conn: Connection, tenant_ids: list[str]) -> None:
        conn.execute(
            update(worker_leases)
            .where(self._mine(), worker_leases.c.tenant_id.in_(tenant_ids))
            .values(holder=None, expires_at=0.0)
        )

    def _take(self, wanted: list[str], room: int, result: Round) -> None:
        """Take free or expired leases, each in a transaction of its own: the update's condition decides
        between replicas racing for one (PostgreSQL re-reads the row once the other's commit frees it)."""
        leases = worker_leases.c
        with self.engine.connect() as conn:
            now = self._now(conn)
            free = list(
                conn.execute(
                    select(leases.tenant_id).where(
                        leases.kind == self.kind,
                        leases.tenant_id.in_(wanted),
                        or_(leases.holder.is_(None), leases.expires_at < now),
                    )
                ).scalars()
            )
        self._shuffle.shuffle(free)
        for tenant_id in free:
            if room == 0:
                break
            try:
                with self.engine.begin() as conn:
                    now = self._now(conn)
                    token = conn.execute(
                        update(worker_leases)
                        .where(
                            leases.kind == self.kind,
                            leases.tenant_id == tenant_id,
                            or_(leases.holder.is_(None), leases.expires_at < now),
                        )
                        .values(
                            holder=self.holder, token=leases.token + 1, expires_at=now + self.seconds, acquired_at=now
                        )
                        .returning(leases.token)
                    ).scalar()
            except DBAPIError:  # a deadlock or a lock timeout against another replica: next round
                continue
            if token is not None:
                result.tokens[tenant_id] = int(token)
                result.taken.add(tenant_id)
                room -= 1


def _insert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both PostgreSQL and SQLite do)."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)
