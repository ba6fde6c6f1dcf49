"""What the services need from infrastructure, as protocols; infra provides the concrete classes."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent

from services.access import Principal

ServiceDays = Callable[[UUID], list[date]]  # every day a person was served (from the read models)


class StaffDirectory(Protocol):
    """Who works for a tenant: the active caseworkers and coordinators, with their full names (a case
    is given only to one of them, and the pages show staff by name)."""

    def staff(self, tenant_id: str) -> list[Principal]:
        """The tenant's active caseworkers and coordinators, sorted by full name."""
        ...


class PersonalDataVault(Protocol):
    """Seals personal data under one key per subject (a beneficiary, or an entry of its own).

    Deleting a subject's key erases everything sealed under it. Blind indexes let intake find a
    person by ΑΜΚΑ without storing the ΑΜΚΑ in clear.
    """

    def seal(self, subject_id: UUID, data: Mapping[str, Any]) -> str: ...

    def unseal(self, token: str) -> dict[str, Any] | None:
        """The sealed data, or None where the subject's key was erased."""
        ...

    def preload(self, tokens: Iterable[str]) -> None:
        """Fetch at once the keys that open these sealed values, before they are opened one by one."""
        ...

    def preload_subjects(self, subject_ids: Iterable[UUID]) -> None:
        """Fetch at once these subjects' keys, before a batch seals or opens data of theirs."""
        ...

    def blind_index(self, kind: str, value: str) -> str: ...

    def fingerprint(self, data: bytes) -> str:
        """A keyed digest: equal inputs give equal digests, and nobody without the key can test a guess."""
        ...

    def lookup(self, kind: str, index: str) -> UUID | None: ...

    def claim(self, kind: str, index: str, owner: UUID) -> UUID:
        """Bind ``index`` to ``owner`` unless it is bound already; returns who holds it now."""
        ...

    def release(self, kind: str, index: str, owner: UUID) -> None: ...

    def lookup_many(self, kind: str, indexes: Iterable[str]) -> dict[str, UUID]:
        """Who holds each of these indexes; those nobody holds are left out."""
        ...

    def claim_many(self, kind: str, wanted: Mapping[str, UUID]) -> dict[str, UUID]:
        """``claim`` for many indexes at once: who holds each one afterwards."""
        ...

    def release_many(self, kind: str, held: Mapping[str, UUID]) -> None: ...

    def add_to_index(self, index: str, owner: UUID) -> None:
        """Add ``owner`` under a non-unique blind index (e.g. a name)."""
        ...

    def forget(self, subject_id: UUID) -> int:
        """Destroy the subject's key and every blind index pointing at them; returns the rows removed."""
        ...

    def indexed(self, index: str) -> list[UUID]: ...

    def indexed_any(self, indexes: Iterable[str]) -> set[UUID]:
        """Everyone under any of these non-unique indexes, however many."""
        ...

    def remove_from_index(self, entries: Iterable[tuple[str, UUID]]) -> None:
        """Take these (index, owner) pairs out of the non-unique index."""
        ...

    def reindex(self, owner: UUID, indexes: Iterable[str]) -> tuple[int, int]:
        """Make ``owner``'s non-unique indexes exactly these; how many were added and removed."""
        ...

    def seal_bytes(self, subject_id: UUID, data: bytes) -> bytes:
        """Seal a file's bytes under the subject's key (a document, issue 23)."""
        ...

    def unseal_bytes(self, subject_id: UUID, sealed: bytes) -> bytes | None:
        """The file's bytes, or None where the subject's key was erased."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Group the keys created inside into one write, made before the block's events are saved."""
        ...


class DocumentStore(Protocol):
    """Where documents' bytes are kept (issue 23), already sealed under their subject's key by the vault
    (``PersonalDataVault.seal_bytes``): the tenant's database or an S3-compatible store, never a pod's disk.

    ``forget`` removes every document of a subject, as an erasure must."""

    def put(self, subject_id: UUID, document_id: UUID, sealed: bytes) -> None: ...

    def get(self, subject_id: UUID, document_id: UUID) -> bytes | None:
        """The sealed bytes, or None where there are none (never stored, or forgotten)."""
        ...

    def delete(self, subject_id: UUID, document_id: UUID) -> None: ...

    def forget(self, subject_id: UUID) -> int:
        """Remove every document of the subject; returns how many were removed."""
        ...


class StoredEvents(Protocol):
    """Many aggregates' stored events at once, as ``Repository.get`` would read them one by one."""

    def stored_events_of(self, ids: Collection[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Each id's stored events in version order; ids with none are left out."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Inside it, this thread's reads of the log and its one save share a connection and a
        transaction where the store allows it (PostgreSQL; the save commits it), else each goes as
        it would alone. Issue 24: a command's read before its write costs no extra transaction."""
        ...


# How a service gets its batch reader once its recorder exists (the recorder is made by the library).
StoredEventsFactory = Callable[[AggregateRecorder], StoredEvents]
