"""Tamper evidence: a hash chain over each event's stored bytes, and its verification.

Hash of position p = SHA-256(hash of the previous position, p, originator id, version, topic, the
stored state bytes). The chain is extended by a follower (like the views), so changing, deleting,
reordering or inserting a row of the log after it was chained breaks the chain at that position.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from sqlalchemy import Engine, func, insert, select

from projections.tables import audit_chain

BATCH = 2000


def genesis(tenant_id: str) -> str:
    return hashlib.sha256(f"kentra-audit-chain:{tenant_id}".encode()).hexdigest()


def link(previous: str, stored: Any) -> str:
    """The hash of one stored event (a notification: id, originator, version, topic, state bytes)."""
    digest = hashlib.sha256()
    digest.update(bytes.fromhex(previous))
    digest.update(int(stored.id).to_bytes(8, "big"))
    digest.update(UUID(str(stored.originator_id)).bytes)
    digest.update(int(stored.originator_version).to_bytes(8, "big"))
    digest.update(stored.topic.encode() + b"\0")
    state = stored.state
    # Tampered rows may hold any type (SQLite turns a BLOB into TEXT on concatenation): hash what is there.
    digest.update(bytes(state) if isinstance(state, bytes | bytearray | memoryview) else str(state).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    chained: int
    head: str
    position: int = 0
    first_broken: int | None = None
    problem: str | None = None
    pending: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


class AuditChain:
    def __init__(self, app: Application[UUID], engine: Engine, schema: str | None, tenant_id: str) -> None:
        self.app = app
        self.engine = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
        self.tenant_id = tenant_id

    def _head(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(audit_chain.c.position, audit_chain.c.hash).order_by(audit_chain.c.position.desc()).limit(1)
            ).first()
        return (0, genesis(self.tenant_id)) if row is None else (int(row[0]), str(row[1]))

    def _notifications(self, after: int) -> Iterator[Any]:
        while True:
            batch = self.app.recorder.select_notifications(start=after, limit=BATCH, inclusive_of_start=False)
            if not batch:
                return
            yield from batch
            after = batch[-1].id

    def stored_events(self) -> Iterator[Any]:
        """The log's rows as stored, in order."""
        return self._notifications(0)

    def extend(self) -> int:
        """Chain the events recorded since the chain's head; returns how many were added."""
        position, previous = self._head()
        rows = []
        for n in self._notifications(position):
            previous = link(previous, n)
            rows.append({"position": n.id, "hash": previous})
        for start in range(0, len(rows), BATCH):
            with self.engine.begin() as conn:
                conn.execute(insert(audit_chain), rows[start : start + BATCH])
        return len(rows)

    def verify(self) -> Verdict:
        """Recompute the chain from the log as stored now; name the first position that breaks it."""
        with self.engine.connect() as conn:
            chain = conn.execute(
                select(audit_chain.c.position, audit_chain.c.hash).order_by(audit_chain.c.position)
            ).all()
            chained = int(conn.execute(select(func.count()).select_from(audit_chain)).scalar_one())
        events = self._notifications(0)
        previous = genesis(self.tenant_id)
        current = next(events, None)
        for position, stored in chain:
            if current is not None and current.id < position:
                return Verdict(
                    False, chained, previous, first_broken=current.id, problem="a row that was never chained (inserted)"
                )
            if current is None or current.id != position:
                return Verdict(
                    False, chained, previous, first_broken=position, problem="the event is missing (deleted or moved)"
                )
            computed = link(previous, current)
            if computed != stored:
                return Verdict(
                    False,
                    chained,
                    previous,
                    first_broken=position,
                    problem="the stored event differs from what was chained",
                )
            previous = stored
            current = next(events, None)
        pending = 0 if current is None else 1 + sum(1 for _ in events)
        return Verdict(True, chained, previous, position=chain[-1][0] if chain else 0, pending=pending)
