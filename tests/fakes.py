"""Fakes for the services' ports: small, in memory, and keeping the rules the services rely on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from domain.errors import BeneficiaryErasedError
from services.access import Principal, Role


class InMemoryVault:
    """A ``PersonalDataVault`` in dictionaries. A sealed value is a token naming its subject; it opens
    while the subject's key is there. ``forget`` drops the key, so everything sealed under it reads as
    erased, and no key is made for that subject again."""

    def __init__(self) -> None:
        self.sealed: dict[str, tuple[UUID, str]] = {}  # token -> (subject, the data as JSON)
        self.keys: set[UUID] = set()
        self.erased: set[UUID] = set()
        self.claims: dict[tuple[str, str], UUID] = {}
        self.names: dict[str, list[UUID]] = {}

    def seal(self, subject_id: UUID, data: Mapping[str, Any]) -> str:
        """A token for ``data`` under the subject's key (made now if they have none)."""
        if subject_id not in self.keys:
            if subject_id in self.erased:
                raise BeneficiaryErasedError(subject_id)
            self.keys.add(subject_id)
        token = f"fake:{subject_id}:{len(self.sealed)}"
        self.sealed[token] = (subject_id, json.dumps(dict(data), default=str, sort_keys=True))
        return token

    def unseal(self, token: str) -> dict[str, Any] | None:
        """The data, or None where the subject's key is gone or the token is not one of ours."""
        found = self.sealed.get(token)
        if found is None or found[0] not in self.keys:
            return None
        opened: dict[str, Any] = json.loads(found[1])
        return opened

    def seal_bytes(self, subject_id: UUID, data: bytes) -> bytes:
        """The bytes behind a token, so that they open only while the subject's key is there."""
        return self.seal(subject_id, {"bytes": data.hex()}).encode()

    def unseal_bytes(self, subject_id: UUID, sealed: bytes) -> bytes | None:
        opened = self.unseal(sealed.decode(errors="replace"))
        return bytes.fromhex(opened["bytes"]) if opened and self.sealed[sealed.decode()][0] == subject_id else None

    def preload(self, tokens: Iterable[str]) -> None:
        """Nothing to fetch: every key is at hand."""

    def preload_subjects(self, subject_ids: Iterable[UUID]) -> None:
        """Nothing to fetch: every key is at hand."""

    def blind_index(self, kind: str, value: str) -> str:
        """A digest of kind and value (a real vault keys it; a fake need not)."""
        return hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()

    def fingerprint(self, data: bytes) -> str:
        """A digest of ``data``."""
        return hashlib.sha256(b"fingerprint\x00" + data).hexdigest()

    def lookup(self, kind: str, index: str) -> UUID | None:
        """Who holds the index, if anyone."""
        return self.claims.get((kind, index))

    def claim(self, kind: str, index: str, owner: UUID) -> UUID:
        """Bind the index to ``owner`` unless bound already; who holds it now."""
        return self.claims.setdefault((kind, index), owner)

    def release(self, kind: str, index: str, owner: UUID) -> None:
        """Unbind the index if ``owner`` holds it."""
        if self.claims.get((kind, index)) == owner:
            del self.claims[(kind, index)]

    def lookup_many(self, kind: str, indexes: Iterable[str]) -> dict[str, UUID]:
        """Who holds each index; those nobody holds are left out."""
        return {index: owner for index in indexes if (owner := self.lookup(kind, index)) is not None}

    def claim_many(self, kind: str, wanted: Mapping[str, UUID]) -> dict[str, UUID]:
        """``claim`` for each index."""
        return {index: self.claim(kind, index, owner) for index, owner in wanted.items()}

    def release_many(self, kind: str, held: Mapping[str, UUID]) -> None:
        """``release`` for each index."""
        for index, owner in held.items():
            self.release(kind, index, owner)

    def add_to_index(self, index: str, owner: UUID) -> None:
        """Add ``owner`` under a non-unique index."""
        owners = self.names.setdefault(index, [])
        if owner not in owners:
            owners.append(owner)

    def forget(self, subject_id: UUID) -> int:
        """Drop the subject's key and indexes; how many were removed."""
        removed = int(subject_id in self.keys)
        self.keys.discard(subject_id)
        self.erased.add(subject_id)
        for key in [key for key, owner in self.claims.items() if owner == subject_id]:
            del self.claims[key]
            removed += 1
        for owners in self.names.values():
            if subject_id in owners:
                owners.remove(subject_id)
                removed += 1
        return removed

    def indexed(self, index: str) -> list[UUID]:
        """Everyone under a non-unique index."""
        return list(self.names.get(index, []))

    def indexed_any(self, indexes: Iterable[str]) -> set[UUID]:
        """Everyone under any of these indexes."""
        return {owner for index in indexes for owner in self.names.get(index, [])}

    def remove_from_index(self, entries: Iterable[tuple[str, UUID]]) -> None:
        """Take these (index, owner) pairs out."""
        for index, owner in entries:
            if owner in self.names.get(index, []):
                self.names[index].remove(owner)

    def reindex(self, owner: UUID, indexes: Iterable[str]) -> tuple[int, int]:
        """Make the owner's indexes exactly these; how many were added and removed."""
        wanted = set(indexes)
        held = {index for index, owners in self.names.items() if owner in owners}
        self.remove_from_index((index, owner) for index in held - wanted)
        for index in wanted - held:
            self.add_to_index(index, owner)
        return len(wanted - held), len(held - wanted)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Keys are made at once here: nothing to group."""
        yield


class InMemoryStaff:
    """A ``StaffDirectory`` over a list of accounts: ``staff`` gives the active caseworkers and
    coordinators of exactly that tenant, by full name, as the accounts store does."""

    def __init__(self, *members: Principal) -> None:
        self.members = list(members)
        self.disabled: set[str] = set()

    def staff(self, tenant_id: str) -> list[Principal]:
        """The tenant's active caseworkers and coordinators."""
        found = [
            p
            for p in self.members
            if p.username not in self.disabled
            and p.role in (Role.CASEWORKER, Role.COORDINATOR)
            and p.tenants == frozenset({tenant_id})
        ]
        return sorted(found, key=lambda p: (p.display_name.casefold(), p.username))


class InMemoryDocumentStore:
    """A ``DocumentStore`` in a dictionary: sealed bytes by (subject, document)."""

    def __init__(self) -> None:
        self.files: dict[tuple[UUID, UUID], bytes] = {}

    def put(self, subject_id: UUID, document_id: UUID, sealed: bytes) -> None:
        self.files[(subject_id, document_id)] = sealed

    def get(self, subject_id: UUID, document_id: UUID) -> bytes | None:
        return self.files.get((subject_id, document_id))

    def delete(self, subject_id: UUID, document_id: UUID) -> None:
        self.files.pop((subject_id, document_id), None)

    def forget(self, subject_id: UUID) -> int:
        gone = [key for key in self.files if key[0] == subject_id]
        for key in gone:
            del self.files[key]
        return len(gone)
