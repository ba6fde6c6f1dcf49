"""The witness: each tenant's signed heads and checkpoints, appended to a file outside its database.

``<KENTRA_AUDIT_WITNESS_DIR>/<tenant>.jsonl`` (default ``<data dir>/witness``), one JSON object a
line, opened for appending only and synced before the call returns. It is the published copy when
no Kafka broker is configured, and with one it still holds the heads the follower signs each time
the chain moves (the topic carries only the stored checkpoints). Put the directory where the
database's owner cannot rewrite it (another volume, an append-only mount): see docs/audit.md.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from projections.audit import Checkpoint

log = logging.getLogger("kentra.audit")


class FileWitness:
    def __init__(self, directory: Path, tenant_id: str) -> None:
        self.path = directory / f"{tenant_id}.jsonl"

    def record(self, kind: str, checkpoint: Checkpoint) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = (json.dumps({"kind": kind, **checkpoint.as_dict()}, sort_keys=True) + "\n").encode()
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line)  # one write of one short line: appends from processes never interleave
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def read(self) -> list[tuple[str, Checkpoint]]:
        if not self.path.exists():
            return []
        found = []
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    data = json.loads(line)
                    found.append((str(data["kind"]), Checkpoint.from_dict(data)))
                except (ValueError, KeyError, TypeError):  # a line cut short by a crash, or garbage
                    log.warning("line %d of the audit witness %s skipped (malformed)", number, self.path.name)
        return found
