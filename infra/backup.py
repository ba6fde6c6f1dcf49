"""Backups of the event logs (and vaults, views, users), and their restore into an empty store.

A backup is a directory: the data (SQLite files copied with SQLite's online backup, or one
``pg_dump`` archive of the tenants' schemas and the platform schema) and ``manifest.json`` with each
file's SHA-256 and each tenant's signed chain head at the time. Keys are *not* in it: the master key
is backed up apart (see docs/operations.md); without it a restored vault cannot be opened and the
checkpoints do not verify, which the restore reports.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from infra.bootstrap import Kentra
from infra.stores import PLATFORM_SCHEMA, PostgresStorage, SqliteStorage

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "kentra.dump"


class BackupError(Exception):
    """The backup could not be written or read back as it is; the message says why."""


@dataclass(frozen=True)
class TenantHead:
    position: int
    hash: str
    signed_at: str


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(command: list[str], url: str) -> None:
    """Run a PostgreSQL client with the URL's parts in its environment, never on its command line."""
    parts = make_url(url)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PGHOST": parts.host or "localhost",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "",
        "PGPASSWORD": parts.password or "",
        "PGDATABASE": parts.database or "",
    }
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        raise BackupError(f"{command[0]} failed: {last}")


def backup(kentra: Kentra, to: Path) -> dict[str, Any]:
    """Sign each tenant's head, then copy every store; returns the manifest written beside the data."""
    if to.exists() and any(to.iterdir()):
        raise BackupError(f"{to} is not empty: back up into a new directory")
    to.mkdir(parents=True, exist_ok=True, mode=0o700)
    tenants = [t.id for t in kentra.registry.tenants if kentra.is_provisioned(t.id)]
    heads = {}
    for tenant_id in tenants:
        checkpoint = kentra.audit_chain(tenant_id).checkpoint()
        heads[tenant_id] = TenantHead(checkpoint.position, checkpoint.hash, checkpoint.signed_at).__dict__
    if kentra.settings.embedded:
        files = _copy_sqlite(kentra, tenants, to)
        store = "sqlite"
    else:
        schemas = [PLATFORM_SCHEMA]
        for tenant_id in tenants:
            storage = kentra.storage(tenant_id)
            assert isinstance(storage, PostgresStorage)
            schemas.append(storage.schema)
        arguments = [f"--schema={schema}" for schema in schemas]
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={to / DUMP}", *arguments],
            kentra.settings.owner_url(),
        )
        files = [to / DUMP]
        store = "postgresql"
    manifest = {
        "format": FORMAT,
        "store": store,
        "created_at": datetime.now(UTC).isoformat(),
        "tenants": heads,
        "files": {str(f.relative_to(to)): file_sha256(f) for f in files},
    }
    (to / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def _copy_sqlite(kentra: Kentra, tenants: list[str], to: Path) -> list[Path]:
    copied = []
    data = kentra.settings.data_dir
    sources = [data / "platform.sqlite", *sorted((data / "regions").glob("*/*.sqlite"))]
    for tenant_id in tenants:
        storage = kentra.storage(tenant_id)
        assert isinstance(storage, SqliteStorage)
        sources += [storage.events_file, storage.vault_file, storage.views_file]
    for source in sources:
        if not source.exists():
            continue
        target = to / source.relative_to(data)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
            live.backup(copy)  # a consistent copy even while Kentra writes
        copied.append(target)
    return copied


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest, once every file it lists is there with the same checksum."""
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} holds no {MANIFEST}: not a Kentra backup")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
    for name, expected in manifest["files"].items():
        file = source / name
        if not file.is_file():
            raise BackupError(f"{name} is missing from the backup")
        if file_sha256(file) != expected:
            raise BackupError(f"{name} does not match its checksum: the backup was altered or damaged")
    return manifest


def restore(kentra: Kentra, source: Path) -> dict[str, Any]:
    """Put a verified backup into an empty store. The caller then re-provisions and verifies."""
    manifest = read_manifest(source)
    expected = "sqlite" if kentra.settings.embedded else "postgresql"
    if manifest["store"] != expected:
        raise BackupError(f"this is a {manifest['store']} backup; the configured store is {expected}")
    present = [t.id for t in kentra.registry.tenants if kentra.is_provisioned(t.id)]
    if present:
        raise BackupError(f"the target is not empty (tenants {', '.join(present)}): restore into an empty store")
    if kentra.settings.embedded:
        for name in manifest["files"]:
            target = kentra.settings.data_dir / name
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copyfile(source / name, target)
    else:
        url = kentra.settings.owner_url()
        database = make_url(url).database or ""
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--dbname={database}",
                str(source / DUMP),
            ],
            url,
        )
    return manifest
