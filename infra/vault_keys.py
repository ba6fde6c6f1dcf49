"""The vault's key maintenance: a rotation of the master key, and which subjects' keys still open.

Split from ``infra/vault.py`` (which seals and opens) to keep each short; ``SqlVault`` has both.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

from cryptography.exceptions import InvalidTag
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from infra.crypto import TenantKeys
from infra.vault_tables import subject_keys, tenant_secrets

log = logging.getLogger("kentra.vault")
SECRETS_NAMESPACE = UUID("5e7a7150-0000-4000-8000-00000000a11c")


class KeyMaintenance:
    """Re-wrapping and checking the stored subject keys (a part of ``SqlVault``)."""

    _engine: Engine
    _keys: TenantKeys
    _lock: threading.Lock
    _cache: OrderedDict[UUID, bytes]

    def stored_secrets(self) -> dict[str, bytes] | None:
        """The tenant's rotation-stable secrets if a rotation stored them (else they derive from the key)."""
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(select(tenant_secrets.c.name, tenant_secrets.c.wrapped)).all()
        except DBAPIError:  # a store from before rotation existed, not yet upgraded by `tenants sync`
            return None
        if not rows:
            return None
        return {name: self._keys.unwrap(uuid5(SECRETS_NAMESPACE, name), bytes(wrapped)) for name, wrapped in rows}

    def rewrap(self, new: TenantKeys, secrets: Mapping[str, bytes], on_batch: Any = None) -> int:
        """Re-wrap every subject key and the tenant's secrets under ``new``'s KEK; events are not touched.

        Idempotent: a run cut short is finished by running it again (with the previous key still set).
        """
        with self._engine.connect() as conn:
            rows = conn.execute(select(subject_keys.c.subject_id, subject_keys.c.wrapped_key)).all()
        done = 0
        for start in range(0, len(rows), 1000):
            with self._engine.begin() as conn:
                for subject_id, wrapped in rows[start : start + 1000]:
                    if new.wrapped_under_current(subject_id, bytes(wrapped)):
                        continue
                    key = self._keys.unwrap(subject_id, bytes(wrapped))
                    conn.execute(
                        update(subject_keys)
                        .where(subject_keys.c.subject_id == subject_id)
                        .values(wrapped_key=new.wrap(subject_id, key), kek_version=new.kek_version)
                    )
                    done += 1
            if on_batch is not None:
                on_batch(len(rows[start : start + 1000]))
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            conn.execute(delete(tenant_secrets))
            conn.execute(
                insert(tenant_secrets),
                [
                    {"name": name, "wrapped": new.wrap(uuid5(SECRETS_NAMESPACE, name), value), "stored_at": now}
                    for name, value in secrets.items()
                ],
            )
        with self._lock:
            self._cache.clear()
        return done

    def subjects_with_keys(self) -> set[UUID]:
        """Every subject whose stored key unwraps for that subject (``audit verify``: a key gone, or
        replaced by another's or altered so it no longer opens, without an erasure is reported). The
        subject's id is the wrap's associated data, so a key copied from another person does not unwrap."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(subject_keys.c.subject_id, subject_keys.c.wrapped_key)).all()
        opening = set()
        unopenable = 0
        for subject, wrapped in rows:
            subject_id = UUID(str(subject))
            try:
                self._keys.unwrap(subject_id, bytes(wrapped))
            except (InvalidTag, ValueError):
                unopenable += 1
                continue
            opening.add(subject_id)
        if unopenable:
            log.warning("%d stored subject key(s) do not unwrap for their subject", unopenable)
        return opening
