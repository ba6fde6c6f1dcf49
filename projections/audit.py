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

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eventsourcing.application import Application
from eventsourcing.utils import get_topic
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.beneficiaries import Beneficiary
from projections.tables import audit_chain, audit_checkpoints, audit_store_marks

BATCH = 2000


def genesis(tenant_id: str) -> str:
    return hashlib.sha256(f"kentra-audit-chain:{tenant_id}".encode()).hexdigest()


def link(previous: str, stored: Any) -> str:
    """The hash of one stored event (a notification: id, originator, version, topic, state bytes).

    Total over whatever a row holds: a row no one but Kentra should write may carry any value in any
    column (SQLite keeps what it is given), and must be hashed and reported, never raise."""
    digest = hashlib.sha256()
    digest.update(bytes.fromhex(previous))
    digest.update(_int_bytes(stored.id))
    digest.update(_uuid_bytes(stored.originator_id))
    digest.update(_int_bytes(stored.originator_version))
    digest.update(_text_bytes(stored.topic) + b"\0")
    # Tampered rows may hold any type (SQLite turns a BLOB into TEXT on concatenation): hash what is there.
    digest.update(_text_bytes(stored.state))
    return digest.hexdigest()


def _text_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def _int_bytes(value: Any) -> bytes:
    """Eight bytes, big-endian, signed: the same bytes as before for every position and version Kentra
    writes (0 to 2**63 - 1), and any other integer a column holds (negative ones) hashes too. What is
    not such an integer (text in a SQLite column) gets a digest of its text, so it still hashes."""
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value.to_bytes(8, "big", signed=True)
    return hashlib.sha256(b"kentra-not-an-int64\0" + _text_bytes(value)).digest()[:8]


def _uuid_bytes(originator: Any) -> bytes:
    """The id's 16 bytes; a value that is not a UUID (text in a SQLite column) gets a digest of its text."""
    if isinstance(originator, UUID):
        return originator.bytes
    try:
        return UUID(str(originator)).bytes
    except ValueError:
        return hashlib.sha256(b"kentra-not-a-uuid\0" + _text_bytes(originator)).digest()[:16]


def mac_genesis(key: bytes, tenant_id: str) -> str:
    return hmac.new(key, f"kentra-audit-chain-v2:{tenant_id}".encode(), hashlib.sha256).hexdigest()


def mac_new_store(key: bytes, tenant_id: str) -> str:
    """The no-legacy mark's MAC: only the chain key's holder can say a store has no events from before seals."""
    return hmac.new(key, f"kentra-audit-chain-v2:{tenant_id}:no-legacy".encode(), hashlib.sha256).hexdigest()


# The mark the chain's writer makes on a store provisioned with an empty log: it has no legacy events,
# so every row without a seal in it is forged.
NO_LEGACY = "no-legacy"


def mac_link(key: bytes, previous: str, position: int, hash_: str, legacy: bool) -> str:
    """The keyed chain at ``position``: over the previous MAC, the position, the public hash there and
    whether the event was accepted without a seal (from before seals existed)."""
    flag = b"\x01" if legacy else b"\x00"
    message = bytes.fromhex(previous) + int(position).to_bytes(8, "big") + bytes.fromhex(hash_) + flag
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# The seal follows the stored state: a byte JSON never holds unescaped, a version, then the HMAC in hex
# (text, so the state stays valid UTF-8 as SQLite may be made to read it).
SEAL_MARK = b"\x1ekseal1:"
SEAL_BYTES = len(SEAL_MARK) + 64


def _seal_tag(key: bytes, originator: Any, version: int, topic: str, body: bytes) -> bytes:
    digest = hmac.new(key, digestmod=hashlib.sha256)
    digest.update(_uuid_bytes(originator))
    digest.update(_int_bytes(version))
    digest.update(_text_bytes(topic) + b"\0")
    digest.update(body)
    return digest.digest()


def seal_state(key: bytes, originator: Any, version: int, topic: str, body: bytes) -> bytes:
    """The state as Kentra stores it: the mapper's bytes, then the seal."""
    return body + SEAL_MARK + _seal_tag(key, originator, version, topic, body).hex().encode()


def unsealed_state(state: bytes) -> bytes:
    """The mapper's bytes, without the seal if there is one (rows from before seals have none)."""
    return state[:-SEAL_BYTES] if len(state) >= SEAL_BYTES and state[-SEAL_BYTES:-64] == SEAL_MARK else state


def seal_verdict(key: bytes, stored: Any) -> str:
    """``sealed`` (written by Kentra, unchanged), ``unsealed`` (no seal at all) or ``broken``."""
    state = stored.state
    state = bytes(state) if isinstance(state, bytes | bytearray | memoryview) else str(state).encode()
    if len(state) < SEAL_BYTES or state[-SEAL_BYTES:-64] != SEAL_MARK:
        return "unsealed"
    body, tag = state[:-SEAL_BYTES], state[-64:]
    expected = _seal_tag(key, stored.originator_id, stored.originator_version, stored.topic, body)
    return "sealed" if hmac.compare_digest(tag, expected.hex().encode()) else "broken"


SEALED_SUBJECT = re.compile(rb"s1\.([0-9a-f]{32})\.")
ERASED_TOPIC = f"{get_topic(Beneficiary)}.Erased"  # the event class is made by the @event decorator


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


class Witness(Protocol):
    """A copy of the tenant's signed heads and checkpoints kept outside its database (append-only)."""

    def record(self, kind: str, checkpoint: Checkpoint) -> None: ...

    def read(self) -> list[tuple[str, Checkpoint]]: ...


@dataclass(frozen=True)
class Verdict:
    """``kind`` names what broke: altered, deleted, reordered, forged, rechained, truncated,
    silent-erasure, checkpoint-deleted or checkpoint-forged."""

    ok: bool
    chained: int
    head: str
    position: int = 0
    first_broken: int | None = None
    problem: str | None = None
    kind: str | None = None
    pending: int = 0
    checkpoints: int = 0
    witnessed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


class AuditChain:
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

    def verify(self, published: Iterable[Checkpoint] = ()) -> Verdict:
        """Recompute both chains and every seal from the log as stored now; name the first thing broken.

        Every checkpoint, stored, published or witnessed, must carry the tenant's signature and match
        the hash recomputed at its position; a published or witnessed checkpoint must still be in the
        store; the last witnessed head must still be reached; every key missing from the vault (or not
        unwrapping for its subject) must have an erasure in the log; no row may sit below position 1.
        """
        with self.engine.connect() as conn:
            chain = conn.execute(
                select(audit_chain.c.position, audit_chain.c.hash, audit_chain.c.mac, audit_chain.c.legacy).order_by(
                    audit_chain.c.position
                )
            ).all()
        stored = self.checkpoints()
        witnessed = self.witness.read() if self.witness is not None else []
        try:
            due = self._checkpoints_to_meet(stored, published, witnessed)
            self._nothing_before_the_log()
            new_store = self._new_store_mark(witnessed)
            head, pending, subjects, erased = self._walk(chain, due, new_store=new_store)
            self._erasures_recorded(subjects, erased)
        except _BrokenError as broken:
            return Verdict(
                False,
                len(chain),
                broken.head,
                first_broken=broken.position,
                problem=broken.problem,
                kind=broken.kind,
                witnessed=_signed_heads(witnessed),
            )
        return Verdict(
            True,
            len(chain),
            head,
            position=chain[-1][0] if chain else 0,
            pending=pending,
            checkpoints=len(stored),
            witnessed=_signed_heads(witnessed),
        )

    def _nothing_before_the_log(self) -> None:
        """Positions are numbers a writer may choose: a row at 0 or below is never chained, yet the
        application reads it (by its aggregate's id), so its presence alone is reported."""
        below = self.app.recorder.select_notifications(start=None, limit=BATCH, stop=0)
        if below:
            raise _BrokenError(
                below[0].id,
                f"{len(below)}{'+' if len(below) == BATCH else ''} row(s) at positions below the log's first"
                " (inserted, never chained): forged",
                genesis(self.tenant_id),
                "forged",
            )

    def _new_store_mark(self, witnessed: list[tuple[str, Checkpoint]]) -> bool:
        """Whether the store was marked new; the mark must be the chain key's, and must still be there if
        the witness saw it made."""
        start = genesis(self.tenant_id)
        marks = self._marks()
        for mark, mac in marks:
            if mark != NO_LEGACY or not hmac.compare_digest(mac, mac_new_store(self.chain_key, self.tenant_id)):
                raise _BrokenError(0, "a mark on the store that Kentra did not write (forged)", start, "forged")
        if marks:
            return True
        if any(kind == "new-store" and self._genuine(c) for kind, c in witnessed):
            raise _BrokenError(
                0,
                "the store was provisioned new, but the mark saying it has no legacy events is gone (deleted)",
                start,
                "deleted",
            )
        return False

    def _genuine(self, checkpoint: Checkpoint) -> bool:
        return checkpoint.tenant == self.tenant_id and checkpoint.signature_ok(self.public_key)

    def _checkpoints_to_meet(
        self, stored: list[Checkpoint], published: Iterable[Checkpoint], witnessed: list[tuple[str, Checkpoint]]
    ) -> dict[int, list[Checkpoint]]:
        """The checkpoints by position, once each is known to be genuine and none was deleted."""
        signatures = {c.signature for c in stored}
        start = genesis(self.tenant_id)
        # Only what this tenant signed counts: a stranger's message on the topic proves nothing.
        copies = [*published, *(c for kind, c in witnessed if kind == "checkpoint")]
        for checkpoint in copies:
            if checkpoint.signature not in signatures and self._genuine(checkpoint):
                raise _BrokenError(
                    checkpoint.position,
                    f"the checkpoint signed at {checkpoint.signed_at} is missing from the store (deleted)",
                    start,
                    "checkpoint-deleted",
                )
        due: dict[int, list[Checkpoint]] = {}
        for checkpoint in stored:
            if not self._genuine(checkpoint):
                raise _BrokenError(
                    checkpoint.position,
                    f"the checkpoint of {checkpoint.signed_at} is not signed by this tenant's key",
                    start,
                    "checkpoint-forged",
                )
            due.setdefault(checkpoint.position, []).append(checkpoint)
        # The furthest head the follower witnessed: the log and the chain must still reach it.
        heads = sorted((c for kind, c in witnessed if kind == "head"), key=lambda c: c.position, reverse=True)
        last = next((c for c in heads if self._genuine(c)), None)
        if last is not None:
            due.setdefault(last.position, []).append(last)
        return due

    def _walk(
        self, chain: Sequence[Any], due: dict[int, list[Checkpoint]], *, new_store: bool
    ) -> tuple[str, int, dict[UUID, int], set[UUID]]:
        """Recompute each position from the log; returns the head, how many wait to be chained, the
        subjects whose sealed values the log holds (with the first position of each) and the erased.
        On a store marked new no row may lack a seal."""
        subjects: dict[UUID, int] = {}
        erased: set[UUID] = set()
        sealed_seen = False

        def meet(position: int, computed: str) -> None:
            for checkpoint in due.pop(position, []):
                if checkpoint.hash != computed:
                    raise _BrokenError(
                        position,
                        f"the log no longer agrees with the checkpoint signed at {checkpoint.signed_at}",
                        computed,
                        "altered",
                    )

        def look_at(event: Any, previous: str, verdict: str) -> str:
            """The event's seal, and what it says about subjects and erasures."""
            nonlocal sealed_seen
            if verdict == "sealed":
                sealed_seen = True
            elif verdict == "unsealed" and (sealed_seen or new_store):
                raise _BrokenError(
                    event.id, "a row Kentra did not write (no seal): forged or inserted", previous, "forged"
                )
            _note_subjects(event, subjects, erased)
            return verdict

        events = self._notifications(0)
        previous = genesis(self.tenant_id)
        mac = mac_genesis(self.chain_key, self.tenant_id)
        meet(0, previous)
        current = next(events, None)
        for position, stored_hash, stored_mac, legacy in chain:
            if current is not None and current.id < position:
                raise _BrokenError(current.id, "a row that was never chained (inserted)", previous, "forged")
            if current is None or current.id != position:
                raise _BrokenError(position, "the event is missing (deleted or moved)", previous, "deleted")
            seal = seal_verdict(self.seal_key, current)
            computed, computed_mac = self._recompute(
                current, previous, mac, (stored_hash, stored_mac, bool(legacy)), seal=seal, sealed_seen=sealed_seen
            )
            if seal == "unsealed" and (new_store or not legacy):
                raise _BrokenError(
                    position, "a row Kentra did not write (no seal), chained as if genuine: forged", previous, "forged"
                )
            if look_at(current, previous, seal) == "broken":
                raise _BrokenError(position, "the stored event differs from what Kentra sealed", previous, "altered")
            meet(position, computed)
            previous, mac = computed, computed_mac
            current = next(events, None)
        pending = 0
        while current is not None:  # recorded, not chained yet: the seals still say who wrote them
            seal = seal_verdict(self.seal_key, current)
            if seal == "unsealed" and (chain or new_store):  # after the first build, every event must be sealed
                raise _BrokenError(
                    current.id, "a row Kentra did not write (no seal): forged or inserted", previous, "forged"
                )
            if look_at(current, previous, seal) == "broken":
                raise _BrokenError(current.id, "the stored event differs from what Kentra sealed", previous, "altered")
            pending += 1
            current = next(events, None)
        if due:
            lost = min(due)
            raise _BrokenError(
                lost,
                f"position {lost} was signed or witnessed, but the chain no longer reaches it (the tail was removed)",
                previous,
                "truncated",
            )
        return previous, pending, subjects, erased

    def _recompute(
        self, event: Any, previous: str, mac: str, stored: tuple[str, str, bool], *, seal: str, sealed_seen: bool
    ) -> tuple[str, str]:
        """Both chains at the event's position, which must equal the stored row; names what differs."""
        position, (stored_hash, stored_mac, legacy) = event.id, stored
        computed = link(previous, event)
        if computed != stored_hash:
            if seal == "sealed":
                raise _BrokenError(
                    position, "a genuine event, but not the one chained here (reordered)", previous, "reordered"
                )
            raise _BrokenError(position, "the stored event differs from what was chained", previous, "altered")
        computed_mac = mac_link(self.chain_key, mac, position, computed, legacy)
        if not hmac.compare_digest(computed_mac, str(stored_mac)):
            if seal == "unsealed" and sealed_seen:
                raise _BrokenError(
                    position,
                    "a row Kentra did not write, with a chain row it did not write (forged)",
                    previous,
                    "forged",
                )
            raise _BrokenError(
                position,
                "the chain was recomputed without the chain key (rows changed and re-chained)",
                previous,
                "rechained",
            )
        return computed, computed_mac

    def _erasures_recorded(self, subjects: dict[UUID, int], erased: set[UUID]) -> None:
        """A subject's key may be missing from the vault, or fail to unwrap for them (replaced, altered),
        only if the log says they were erased."""
        if self.subjects_with_keys is None:
            return
        present = self.subjects_with_keys()
        silent = {s: p for s, p in subjects.items() if s not in present and s not in erased}
        if silent:
            position = min(silent.values())
            raise _BrokenError(
                position,
                f"{len(silent)} subject key(s) missing from the vault, or not opening for their subject,"
                " without an erasure in the log "
                f"(first sealed at position {position}): a silent erasure",
                genesis(self.tenant_id),
                "silent-erasure",
            )


def _signed_heads(witnessed: list[tuple[str, Checkpoint]]) -> int:
    """How many heads and checkpoints the witness holds (its note that the store began new aside)."""
    return sum(1 for kind, _ in witnessed if kind in ("head", "checkpoint"))


def _note_subjects(event: Any, subjects: dict[UUID, int], erased: set[UUID]) -> None:
    """The subjects whose sealed values the event holds (with the first position of each), and whom it erases."""
    state = event.state
    raw = bytes(state) if isinstance(state, bytes | bytearray | memoryview) else str(state).encode()
    for match in SEALED_SUBJECT.finditer(raw):
        subjects.setdefault(UUID(hex=match.group(1).decode()), event.id)
    if event.topic == ERASED_TOPIC:
        # An originator that is not an id is not an erasure Kentra recorded (and its seal is broken).
        with suppress(ValueError):
            erased.add(UUID(str(event.originator_id)))


class _BrokenError(Exception):
    def __init__(self, position: int, problem: str, head: str, kind: str) -> None:
        super().__init__(problem)
        self.position, self.problem, self.head, self.kind = position, problem, head, kind
