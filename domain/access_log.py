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
