"""Reads of personal data, each recorded as an event in the tenant's own log."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event


class PersonalDataAccess(Aggregate):
    """Who read which beneficiary's personal data, through which endpoint (when: the event's timestamp)."""

    @event("Recorded")
    def __init__(self, *, beneficiary_id: UUID, accessed_by: str, role: str, endpoint: str) -> None:
        self.beneficiary_id = beneficiary_id
        self.accessed_by = accessed_by
        self.role = role
        self.endpoint = endpoint


class AuditQuery(Aggregate):
    """An auditor's question to the tenant's history: who asked what, and when (the event's timestamp).

    ``parameters`` hold the query's own terms (period, cell, as-of day), never personal data.
    """

    @event("Asked")
    def __init__(self, *, asked_by: str, role: str, endpoint: str, parameters: dict[str, str]) -> None:
        self.asked_by = asked_by
        self.role = role
        self.endpoint = endpoint
        self.parameters = parameters
