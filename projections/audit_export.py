"""A tenant's chained log as a file an auditor verifies offline with nothing but the public key.

JSON lines: a header; one line per event (position, originator, version, topic, state in base64,
hash); every earlier checkpoint right after the event it covers; last, the checkpoint signed for
this export, over the final position and hash.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from projections.audit_seal import Checkpoint, genesis, link

FORMAT = 2


class ExportInvalidError(Exception):
    """The file is not the signed, unbroken chain it claims to be; the message says where."""


def export_lines(
    tenant_id: str, stored_events: Iterable[Any], earlier: Iterable[Checkpoint], final: Checkpoint
) -> Iterator[str]:
    """The events up to ``final.position``; raises ExportInvalidError if they do not hash to ``final``."""
    yield json.dumps({"kind": "header", "format": FORMAT, "tenant": tenant_id, "genesis": genesis(tenant_id)})
    pending = sorted((c for c in earlier if c.position <= final.position), key=lambda c: c.position)
    previous, position = genesis(tenant_id), 0
    while pending and pending[0].position == 0:
        yield json.dumps({"kind": "checkpoint", **pending.pop(0).as_dict()})
    for stored in stored_events:
        if int(stored.id) > final.position:
            break
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
        while pending and pending[0].position == position:
            yield json.dumps({"kind": "checkpoint", **pending.pop(0).as_dict()})
    if (position, previous) != (final.position, final.hash):
        raise ExportInvalidError("the log changed while it was exported: run `kentra audit verify`")
    yield json.dumps({"kind": "checkpoint", **final.as_dict()})


def _checkpoint(number: int, record: dict[str, Any], *, tenant: str, position: int, head: str, key: str) -> Checkpoint:
    try:
        checkpoint = Checkpoint.from_dict(record)
    except (KeyError, ValueError, TypeError):
        raise ExportInvalidError(f"line {number}: the checkpoint is malformed") from None
    if checkpoint.tenant != tenant or checkpoint.position != position or checkpoint.hash != head:
        raise ExportInvalidError(
            f"line {number}: the checkpoint signed at {checkpoint.signed_at} does not match the lines before it"
            " (lines were removed, added or altered)"
        )
    if not checkpoint.signature_ok(key):
        raise ExportInvalidError(f"line {number}: the checkpoint's signature does not verify with this public key")
    return checkpoint


def _event(number: int, record: dict[str, Any], previous: str, position: int) -> tuple[str, int]:
    """The hash an event line must carry after ``previous``; raises naming the line if it does not."""
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
    return computed, int(record["position"])


def verify_lines(lines: Iterable[str], public_key: str) -> dict[str, Any]:
    """Check every line against the chain, and every checkpoint against the given public key (hex)."""
    try:
        if len(bytes.fromhex(public_key)) != 32:
            raise ValueError
    except ValueError:
        raise ExportInvalidError("the public key is not 32 bytes of hex") from None
    tenant: str | None = None
    previous, position, events, checkpoints = "", 0, 0, 0
    last_kind: str | None = None
    last: Checkpoint | None = None
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise ExportInvalidError(f"line {number} is not JSON") from None
        kind = record.get("kind") if isinstance(record, dict) else None
        if number == 1:
            if kind != "header" or record.get("format") != FORMAT:
                raise ExportInvalidError(f"line 1 must be a header of format {FORMAT}")
            tenant = str(record["tenant"])
            previous = genesis(tenant)
        elif kind == "event":
            previous, position = _event(number, record, previous, position)
            events += 1
        elif kind == "checkpoint" and tenant is not None:
            last = _checkpoint(number, record, tenant=tenant, position=position, head=previous, key=public_key)
            checkpoints += 1
        else:
            raise ExportInvalidError(f"line {number} is neither an event nor a checkpoint")
        last_kind = kind
    if last_kind != "checkpoint" or last is None:
        raise ExportInvalidError("the file must end with a signed checkpoint: lines were cut from the end")
    return {
        "tenant": tenant,
        "events": events,
        "position": position,
        "hash": previous,
        "checkpoints": checkpoints,
        "signed_at": last.signed_at,
        "ok": True,
    }
