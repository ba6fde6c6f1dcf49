"""The audit chain's parts: the hash and keyed links, event seals, signed checkpoints, the verdict.

Pure functions and values, no database: ``projections.audit.AuditChain`` writes and verifies the
chain with them, ``projections.audit_export`` and ``infra.event_seal`` use them too (docs/audit.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eventsourcing.utils import get_topic

from domain.beneficiaries import Beneficiary


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
