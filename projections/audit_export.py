"""A tenant's chained log as a file an auditor verifies offline with nothing but the public key.

JSON lines: a header; one line per event (position, originator, version, topic, state in base64,
hash); last, a checkpoint over the final position and hash, signed with the tenant's Ed25519 key.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from projections.audit import genesis, link

FORMAT = 1


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _signed_part(checkpoint: dict[str, Any]) -> bytes:
    fields = {k: checkpoint[k] for k in ("tenant", "position", "hash", "signed_at")}
    return json.dumps(fields, sort_keys=True).encode()


def export_lines(tenant_id: str, stored_events: Iterable[Any], key: Ed25519PrivateKey) -> Iterator[str]:
    yield json.dumps({"kind": "header", "format": FORMAT, "tenant": tenant_id, "genesis": genesis(tenant_id)})
    previous, position = genesis(tenant_id), 0
    for stored in stored_events:
        previous, position = link(previous, stored), int(stored.id)
        yield json.dumps(
            {
                "kind": "event",
                "position": position,
                "originator_id": str(stored.originator_id),
                "version": stored.originator_version,
                "topic": stored.topic,
                "state": base64.b64encode(bytes(stored.state)).decode(),
                "hash": previous,
            }
        )
    checkpoint = {
        "kind": "checkpoint",
        "tenant": tenant_id,
        "position": position,
        "hash": previous,
        "signed_at": datetime.now(UTC).isoformat(),
        "public_key": public_key_hex(key),
    }
    checkpoint["signature"] = key.sign(_signed_part(checkpoint)).hex()
    yield json.dumps(checkpoint)


class ExportInvalidError(Exception):
    """The file is not the signed, unbroken chain it claims to be; the message says where."""


def verify_lines(lines: Iterable[str], public_key_hex_value: str) -> dict[str, Any]:
    """Check every line against the chain and the final checkpoint against the given public key."""
    try:
        public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex_value))
    except ValueError:
        raise ExportInvalidError("the public key is not 32 bytes of hex") from None
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError:
            raise ExportInvalidError(f"line {number} is not JSON") from None
    if not records or records[0][1].get("kind") != "header" or records[-1][1].get("kind") != "checkpoint":
        raise ExportInvalidError("the file must start with a header and end with a checkpoint")
    tenant = records[0][1]["tenant"]
    previous, position, events = genesis(tenant), 0, 0
    for number, record in records[1:-1]:
        try:
            stored = SimpleNamespace(
                id=record["position"],
                originator_id=record["originator_id"],
                originator_version=record["version"],
                topic=record["topic"],
                state=base64.b64decode(record["state"]),
            )
            computed = link(previous, stored)
        except (KeyError, ValueError, TypeError) as error:
            raise ExportInvalidError(f"line {number} is malformed ({type(error).__name__})") from None
        if record["position"] <= position:
            raise ExportInvalidError(f"line {number}: position {record['position']} is out of order")
        if computed != record["hash"]:
            raise ExportInvalidError(
                f"line {number} (position {record['position']}) was altered, or a line before it is missing"
            )
        previous, position, events = computed, record["position"], events + 1
    checkpoint = records[-1][1]
    if (
        checkpoint.get("tenant") != tenant
        or checkpoint.get("position") != position
        or checkpoint.get("hash") != previous
    ):
        raise ExportInvalidError("the checkpoint does not match the last line: lines were removed or added at the end")
    try:
        public_key.verify(bytes.fromhex(checkpoint["signature"]), _signed_part(checkpoint))
    except (InvalidSignature, ValueError, KeyError):
        raise ExportInvalidError("the checkpoint's signature does not verify with this public key") from None
    return {
        "tenant": tenant,
        "events": events,
        "position": position,
        "hash": previous,
        "signed_at": checkpoint["signed_at"],
        "ok": True,
    }
