"""Tamper evidence: a hash chain over each event's stored bytes, signed checkpoints, verification.

Hash of position p = SHA-256(hash of the previous position, p, originator id, version, topic, the
stored state bytes). The chain is extended by a follower (like the views), so changing, deleting,
reordering or inserting a row of the log after it was chained breaks the chain at that position.

A checkpoint is the chain's head (position, hash) signed with the tenant's Ed25519 key, which is
derived from the master key and never stored in the database. Someone who rewrites the log *and*
recomputes the chain still cannot sign, so the log no longer agrees with the earlier checkpoints;
copies published to ``kentra.checkpoints.v1`` survive the deletion of the stored ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eventsourcing.application import Application
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from projections.tables import audit_chain, audit_checkpoints

BATCH = 2000


def genesis(tenant_id: str) -> str:
    return hashlib.sha256(f"kentra-audit-chain:{tenant_id}".encode()).hexdigest()


def link(previous: str, stored: Any) -> str:
    """The hash of one stored event (a notification: id, originator, version, topic, state bytes)."""
    digest = hashlib.sha256()
    digest.update(bytes.fromhex(previous))
    digest.update(int(stored.id).to_bytes(8, "big"))
    originator = stored.originator_id
    digest.update(originator.bytes if isinstance(originator, UUID) else UUID(str(originator)).bytes)
    digest.update(int(stored.originator_version).to_bytes(8, "big"))
    digest.update(stored.topic.encode() + b"\0")
    state = stored.state
    # Tampered rows may hold any type (SQLite turns a BLOB into TEXT on concatenation): hash what is there.
    digest.update(bytes(state) if isinstance(state, bytes | bytearray | memoryview) else str(state).encode())
    return digest.hexdigest()


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at ``signed_at``, signed by the tenant."""

    tenant: str
    position: int
    hash: str
    signed_at: str
    public_key: str
    signature: str

    @staticmethod
    def signed_part(tenant: str, position: int, hash_: str, signed_at: str) -> bytes:
        return json.dumps(
            {"tenant": tenant, "position": position, "hash": hash_, "signed_at": signed_at}, sort_keys=True
        ).encode()

    @classmethod
    def sign(cls, tenant: str, position: int, hash_: str, key: Ed25519PrivateKey) -> Checkpoint:
        signed_at = datetime.now(UTC).isoformat()
        signature = key.sign(cls.signed_part(tenant, position, hash_, signed_at)).hex()
        return cls(tenant, position, hash_, signed_at, public_key_hex(key), signature)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        """Raises KeyError, TypeError or ValueError when a field is missing or of the wrong type."""
        checkpoint = cls(
            str(data["tenant"]),
            int(data["position"]),
            str(data["hash"]),
            str(data["signed_at"]),
            str(data["public_key"]),
            str(data["signature"]),
        )
        if not isinstance(data["position"], int):
            raise TypeError("position")
        return checkpoint

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def signature_ok(self, public_key: str) -> bool:
        """Signed by the holder of ``public_key`` (hex), over exactly these fields."""
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
                bytes.fromhex(self.signature), self.signed_part(self.tenant, self.position, self.hash, self.signed_at)
            )
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Verdict:
    ok: bool
    chained: int
    head: str
    position: int = 0
    first_broken: int | None = None
    problem: str | None = None
    pending: int = 0
    checkpoints: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


class AuditChain:
    def __init__(
        self,
        app: Application[UUID],
        engine: Engine,
        schema: str | None,
        tenant_id: str,
        signing_key: Ed25519PrivateKey,
    ) -> None:
        self.app = app
        self.signing_key = signing_key
        self.public_key = public_key_hex(signing_key)
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

    def hash_at(self, position: int) -> str | None:
        """The chain's hash at ``position`` (the genesis at 0), or None if not chained."""
        if position == 0:
            return genesis(self.tenant_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_chain.c.hash).where(audit_chain.c.position == position)).first()
        return None if row is None else str(row[0])

    def head_position(self) -> int:
        """The last position chained (0 before any)."""
        return self._head()[0]

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
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(audit_chain), rows[start : start + BATCH])
            except IntegrityError:  # another follower chained these meanwhile, to the same hashes
                return start
        return len(rows)

    def checkpoint(self) -> Checkpoint:
        """Chain what is recorded, then sign and store the head (on demand, or when one is due)."""
        self.extend()
        position, head = self._head()
        checkpoint = Checkpoint.sign(self.tenant_id, position, head, self.signing_key)
        row = {k: v for k, v in checkpoint.as_dict().items() if k != "tenant"}
        with self.engine.begin() as conn:
            conn.execute(insert(audit_checkpoints).values(**row))
        return checkpoint

    def checkpoints(self, *, unpublished: bool = False) -> list[Checkpoint]:
        query = select(audit_checkpoints).order_by(audit_checkpoints.c.id)
        if unpublished:
            query = query.where(audit_checkpoints.c.published_at.is_(None))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            Checkpoint(self.tenant_id, int(r["position"]), r["hash"], r["signed_at"], r["public_key"], r["signature"])
            for r in rows
        ]

    def mark_published(self, checkpoints: Iterable[Checkpoint]) -> None:
        signatures = [c.signature for c in checkpoints]
        if signatures:
            with self.engine.begin() as conn:
                conn.execute(
                    update(audit_checkpoints)
                    .where(audit_checkpoints.c.signature.in_(signatures))
                    .values(published_at=datetime.now(UTC))
                )

    def checkpoint_due(self, every: timedelta, now: datetime | None = None) -> bool:
        """The head moved since the last checkpoint, and that one is older than ``every`` (or there is none)."""
        stored = self.checkpoints()
        position, _ = self._head()
        if not stored:
            return position > 0
        last = stored[-1]
        return position > last.position and (now or datetime.now(UTC)) - datetime.fromisoformat(last.signed_at) >= every

    def verify(self, published: Iterable[Checkpoint] = ()) -> Verdict:
        """Recompute the chain from the log as stored now; name the first position that breaks it.

        Every checkpoint, stored or published, must carry the tenant's signature and match the hash
        recomputed at its position; a published checkpoint must also still be in the store.
        """
        with self.engine.connect() as conn:
            chain = conn.execute(
                select(audit_chain.c.position, audit_chain.c.hash).order_by(audit_chain.c.position)
            ).all()
        stored = self.checkpoints()
        try:
            due = self._checkpoints_to_meet(stored, published)
            head, pending = self._walk(chain, due)
        except _BrokenError as broken:
            return Verdict(False, len(chain), broken.head, first_broken=broken.position, problem=broken.problem)
        return Verdict(
            True, len(chain), head, position=chain[-1][0] if chain else 0, pending=pending, checkpoints=len(stored)
        )

    def _checkpoints_to_meet(
        self, stored: list[Checkpoint], published: Iterable[Checkpoint]
    ) -> dict[int, list[Checkpoint]]:
        """The stored checkpoints by position, once each is known to be genuine and none was deleted."""
        signatures = {c.signature for c in stored}
        # Only what this tenant signed counts: a stranger's message on the topic proves nothing.
        for checkpoint in published:
            genuine = checkpoint.tenant == self.tenant_id and checkpoint.signature_ok(self.public_key)
            if genuine and checkpoint.signature not in signatures:
                raise _BrokenError(
                    checkpoint.position,
                    f"the checkpoint published at {checkpoint.signed_at} is missing from the store (deleted)",
                    genesis(self.tenant_id),
                )
        due: dict[int, list[Checkpoint]] = {}
        for checkpoint in stored:
            if checkpoint.tenant != self.tenant_id or not checkpoint.signature_ok(self.public_key):
                raise _BrokenError(
                    checkpoint.position,
                    f"the checkpoint of {checkpoint.signed_at} is not signed by this tenant's key",
                    genesis(self.tenant_id),
                )
            due.setdefault(checkpoint.position, []).append(checkpoint)
        return due

    def _walk(self, chain: Sequence[Any], due: dict[int, list[Checkpoint]]) -> tuple[str, int]:
        """Recompute each chained position from the log; returns the head and how many wait to be chained."""

        def meet(position: int, computed: str) -> None:
            for checkpoint in due.pop(position, []):
                if checkpoint.hash != computed:
                    raise _BrokenError(
                        position,
                        f"the log no longer agrees with the checkpoint signed at {checkpoint.signed_at}",
                        computed,
                    )

        events = self._notifications(0)
        previous = genesis(self.tenant_id)
        meet(0, previous)
        current = next(events, None)
        for position, stored_hash in chain:
            if current is not None and current.id < position:
                raise _BrokenError(current.id, "a row that was never chained (inserted)", previous)
            if current is None or current.id != position:
                raise _BrokenError(position, "the event is missing (deleted or moved)", previous)
            computed = link(previous, current)
            if computed != stored_hash:
                raise _BrokenError(position, "the stored event differs from what was chained", previous)
            meet(position, computed)
            previous = stored_hash
            current = next(events, None)
        if due:
            lost = min(due)
            raise _BrokenError(
                lost,
                f"a checkpoint covers position {lost}, which the chain no longer reaches (events removed)",
                previous,
            )
        return previous, 0 if current is None else 1 + sum(1 for _ in events)


class _BrokenError(Exception):
    def __init__(self, position: int, problem: str, head: str) -> None:
        super().__init__(problem)
        self.position, self.problem, self.head = position, problem, head
