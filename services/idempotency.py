"""Command records: the first result of each client command id, kept in the tenant's own log."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, DomainEvent, event

KENTRA_NAMESPACE = uuid5(NAMESPACE_URL, "https://kentra.example/ns")


def command_record_id(tenant_id: str, command_id: str) -> UUID:
    return uuid5(KENTRA_NAMESPACE, f"{tenant_id}/command/{command_id}")


def entry_id_for(tenant_id: str, command_id: str) -> UUID:
    """The id of the entry a command creates: fixed by the command id, so a retry cannot fork it."""
    return uuid5(KENTRA_NAMESPACE, f"{tenant_id}/entry/{command_id}")


class CommandRecord(Aggregate):
    """Saved in the same transaction as the events the command caused, so both exist or neither."""

    if TYPE_CHECKING:  # the event class @event makes, declared for the type checker
        Accepted: ClassVar[type[DomainEvent]]

    @event("Accepted")
    def __init__(self, *, id: UUID, command: str, fingerprint: str, entry_id: UUID, kind: str, version: int) -> None:
        self.command = command
        self.fingerprint = fingerprint
        self.entry_id = entry_id
        self.kind = kind
        self.entry_version = version
