"""Tamper evidence: sealed events, a keyed hash chain, signed and witnessed checkpoints, verification.

- **Seal.** Every event Kentra writes carries, after its stored state, an HMAC-SHA256 over its
  originator, version, topic and state under the tenant's seal key (``infra/event_seal.py``). The key
  derives from the master key and is in no database, so a row inserted by anyone else (the tenant's
  own database role included) has no valid seal.
- **Chain.** Hash of position p = SHA-256(hash of p-1, p, originator id, version, topic, the stored
  state bytes): public, what checkpoints sign and exports carry. Beside it, MAC of p =
  HMAC-SHA256(chain key; MAC of p-1, p, hash of p): only the holder of the chain key (derived from
  the master key) can extend or recompute it. The chain is written by a follower through the chain
  role (on PostgreSQL a login role of its own; the API's role may only read the chain).
- **Checkpoints.** The head (position, hash) signed with the tenant's Ed25519 key, stored, published
  to ``kentra.checkpoints.v1`` and written to the witness outside the tenant's database; every time
  the follower moves the chain it also witnesses the signed head, so a tail cut off the log (with
  its chain rows) is still noticed.
- **Erasures.** A subject whose key is gone from the vault must have an ``Erased`` event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from projections.audit_seal import (
    NO_LEGACY,
    Checkpoint,
    Verdict,
    Witness,
    genesis,
    link,
    mac_genesis,
    mac_link,
    mac_new_store,
    public_key_hex,
    seal_state,
    seal_verdict,
    unsealed_state,
)
from projections.audit_verify import BATCH, ChainVerification
from projections.tables import audit_chain, audit_checkpoints, audit_store_marks

# The chain's parts live in projections.audit_seal; they are named here too, as they always were.
__all__ = [
    "AuditChain",
    "Checkpoint",
    "Verdict",
    "Witness",
    "genesis",
    "link",
    "public_key_hex",
    "seal_state",
    "unsealed_state",
]


class AuditChain(ChainVerification):
    """One tenant's chain. ``engine`` is the chain role's (it writes the chain and checkpoints); the
    log is read through ``app``. ``subjects_with_keys`` lists the vault's subjects, for erasures."""

    def __init__(
        self,
        app: Application[UUID],
        engine: Engine,
        schema: str | None,
        tenant_id: str,
        signing_key: Ed25519PrivateKey,
        *,
        chain_key: bytes,
        seal_key: bytes,
        witness: Witness | None = None,
        subjects_with_keys: Callable[[], set[UUID]] | None = None,
    ) -> None:
        self.app = app
        self.signing_key = signing_key
        self.public_key = public_key_hex(signing_key)
        self.engine = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
        self.tenant_id = tenant_id
        self.chain_key = chain_key
        self.seal_key = seal_key
        self.witness = witness
        self.subjects_with_keys = subjects_with_keys

    def _head(self) -> tuple[int, str, str]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(audit_chain.c.position, audit_chain.c.hash, audit_chain.c.mac)
                .order_by(audit_chain.c.position.desc())
                .limit(1)
            ).first()
        if row is None:
            return 0, genesis(self.tenant_id), mac_genesis(self.chain_key, self.tenant_id)
        return int(row[0]), str(row[1]), str(row[2])

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

    def _marks(self) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            return [
                (str(m), str(v)) for m, v in conn.execute(select(audit_store_marks.c.mark, audit_store_marks.c.mac))
            ]

    def is_new_store(self) -> bool:
        """Whether the store carries the no-legacy mark (it was provisioned with an empty log)."""
        return any(mark == NO_LEGACY for mark, _ in self._marks())

    def mark_if_new(self) -> bool:
        """At provisioning: a store whose log and chain are both empty is new, so it has no events from
        before seals. Mark it (a MAC under the chain key in the store, a signed note to the witness), so
        that no row without a seal is ever taken for a legacy one. True if marked now."""
        if self.is_new_store() or self._head()[0] > 0 or self.app.recorder.select_notifications(start=None, limit=1):
            return False
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(audit_store_marks).values(mark=NO_LEGACY, mac=mac_new_store(self.chain_key, self.tenant_id))
                )
        except IntegrityError:  # marked by another process meanwhile
            return False
        if self.witness is not None:
            start = genesis(self.tenant_id)
            self.witness.record("new-store", Checkpoint.sign(self.tenant_id, 0, start, self.signing_key))
        return True

    def head_position(self) -> int:
        """The last position chained (0 before any)."""
        return self._head()[0]

    def stored_events(self) -> Iterator[Any]:
        """The log's rows as stored, in order."""
        return self._notifications(0)

    def extend(self) -> int:
        """Chain the events recorded since the chain's head; returns how many were added.

        Each time the chain moves, its signed head goes to the witness (a cut tail is then noticed).
        Only the first build (``kentra tenants sync`` on an upgraded store) may accept events without
        a seal, those before the first sealed one, as legacy; it is written in one transaction. A store
        marked new (``mark_if_new``) accepts none.
        """
        position, previous, mac = self._head()
        first_build = position == 0
        legacy_open = first_build and not self.is_new_store()  # a store marked new has no legacy
        rows = []
        for n in self._notifications(position):
            unsealed = seal_verdict(self.seal_key, n) == "unsealed"
            legacy_open = legacy_open and unsealed
            previous = link(previous, n)
            mac = mac_link(self.chain_key, mac, n.id, previous, legacy_open)
            rows.append({"position": n.id, "hash": previous, "mac": mac, "legacy": legacy_open})
        added = 0
        for start in range(0, len(rows), max(len(rows), 1) if first_build else BATCH):
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(audit_chain), rows[start : start + BATCH])
            except IntegrityError:  # another follower chained these meanwhile, to the same hashes
                break
            added = min(start + BATCH, len(rows))
        if added and self.witness is not None:
            last = rows[added - 1]
            self.witness.record(
                "head", Checkpoint.sign(self.tenant_id, last["position"], last["hash"], self.signing_key)
            )
        return added

    def checkpoint(self) -> Checkpoint:
        """Chain what is recorded, then sign and store the head (on demand, or when one is due)."""
        self.extend()
        position, head, _ = self._head()
        checkpoint = Checkpoint.sign(self.tenant_id, position, head, self.signing_key)
        row = {k: v for k, v in checkpoint.as_dict().items() if k != "tenant"}
        with self.engine.begin() as conn:
            conn.execute(insert(audit_checkpoints).values(**row))
        if self.witness is not None:
            self.witness.record("checkpoint", checkpoint)
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
        position = self._head()[0]
        if not stored:
            return position > 0
        last = stored[-1]
        return position > last.position and (now or datetime.now(UTC)) - datetime.fromisoformat(last.signed_at) >= every
