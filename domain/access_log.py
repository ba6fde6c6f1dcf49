"""Reads of personal data, each recorded as an event in the tenant's own log."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEvent, event


class PersonalDataAccess(Aggregate):
    """Who read which beneficiary's personal data, through which endpoint (when: the event's timestamp)."""

    if TYPE_CHECKING:  # the event class @event makes, declared for the type checker
        Recorded: ClassVar[type[DomainEvent]]

    @event("Recorded")
    def __init__(self, *, beneficiary_id: UUID, accessed_by: str, role: str, endpoint: str) -> None:
        self.beneficiary_id = beneficiary_id
        self.accessed_by = accessed_by
        self.role = role
        self.endpoint = endpoint


class PersonalDataSearch(Aggregate):
    """A search of people by ΑΜΚΑ or name: who searched, how (``by``: "amka", "name" or
    "likely_duplicate"), through which endpoint, and how many people were shown. Never the searched
    value: the ΑΜΚΑ or name someone looked for is itself personal data. Each person shown is also
    a ``PersonalDataAccess``; a search that finds nobody is this event alone."""

    if TYPE_CHECKING:  # the event class @event makes, declared for the type checker
        Recorded: ClassVar[type[DomainEvent]]

    @event("Recorded")
    def __init__(self, *, searched_by: str, role: str, endpoint: str, by: str, found: int) -> None:
        self.searched_by = searched_by
        self.role = role
        self.endpoint = endpoint
        self.by = by
        self.found = found


class AuditQuery(Aggregate):
    """An auditor's question to the tenant's history: who asked what, and when (the event's timestamp).

    ``parameters`` hold the query's own terms (period, cell, as-of day), never personal data.
    """

    if TYPE_CHECKING:  # the event class @event makes, declared for the type checker
        Asked: ClassVar[type[DomainEvent]]

    @event("Asked")
    def __init__(self, *, asked_by: str, role: str, endpoint: str, parameters: dict[str, str]) -> None:
        self.asked_by = asked_by
        self.role = role
        self.endpoint = endpoint
        self.parameters = parameters
