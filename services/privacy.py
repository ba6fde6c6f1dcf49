"""Data protection for one tenant: erasure dates, legal holds, erasure, the due list, subject access.

Who may ask is ``services.access.may_manage_personal_data`` (the tenant's coordinators), checked by
the caller's gateway before any of these. Subject access gathers everything Kentra holds on one
beneficiary; rendering it (JSON, a Greek PDF) is the gateways' (``gateways.subject_access``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from domain.access_log import PersonalDataAccess
from domain.errors import EntryNotFoundError
from projections import privacy_queries
from projections.runner import CaseworkViews
from services import consent, documents
from services.casework import Casework, read_log

ACCESS_RECORDED: type[Any] = PersonalDataAccess.Recorded  # its fields are the recorded access's


def erasure_date(casework: Casework, beneficiary_id: UUID) -> dict[str, Any]:
    """The earliest day this person's data may be erased, why, and whether today is past it."""
    when = casework.erasure_date(beneficiary_id)
    return {
        "beneficiary_id": str(beneficiary_id),
        "earliest": when.earliest.isoformat() if when.earliest else None,
        "programmes": list(when.programmes),
        "why": when.why,
        "allowed_today": when.allows(casework.today()),
    }


def place_legal_hold(
    casework: Casework, beneficiary_id: UUID, *, until: date, reason: str, recorded_by: str
) -> dict[str, Any]:
    """Keep the person's data at least until ``until``; returns the erasure date it makes."""
    casework.place_legal_hold(beneficiary_id, until=until, reason=reason, recorded_by=recorded_by)
    return erasure_date(casework, beneficiary_id)


def erase(
    casework: Casework,
    beneficiary_id: UUID,
    *,
    reason: str,
    legal_ground: str | None,
    erased_by: str,
    compact: Callable[..., None],
) -> dict[str, Any]:
    """Erase one person (``Casework.erase``: their key goes), then ``compact`` the vault's storage."""
    result = casework.erase(beneficiary_id, reason=reason, legal_ground=legal_ground, erased_by=erased_by)
    compact(documents=compacts_documents(result))
    return result


def compacts_documents(result: dict[str, Any]) -> bool:
    """Whether the erasure's compaction must cover the documents' table too (issue 23): where it deleted
    documents, or on a run after a crash (the first run may have deleted them and stopped before its
    compaction)."""
    return bool(result.get("documents_removed")) or bool(result.get("already"))


def erasure_due(
    casework: Casework, views: CaseworkViews, *, each: Callable[[int, int], None] | None = None
) -> list[dict[str, Any]]:
    """The beneficiaries past their erasure date today, not yet erased, the earliest intake first.

    ``each(done, total)`` is called once per beneficiary looked at (a progress bar's step)."""
    views.catch_up()
    ids = views.read(privacy_queries.beneficiaries_by_intake)
    due, today = [], casework.today()
    for done, person in enumerate(ids, 1):
        if each is not None:
            each(done, len(ids))
        if getattr(casework.entry(person), "erased", False):
            continue
        when = casework.erasure_date(person)
        if when.allows(today):
            earliest = when.earliest.isoformat() if when.earliest else None
            due.append({"beneficiary_id": str(person), "earliest": earliest, "why": when.why})
    return due


def subject_access(
    casework: Casework, views: CaseworkViews, beneficiary_id: UUID, *, asked_by: str, role: str
) -> dict[str, Any]:
    """Everything held on one beneficiary (GDPR Art. 15); recorded as a read of their personal data.

    Their record and every entry about them with its history (personal data opened), the read-model
    rows that concern them, and who read their personal data and when. Raises EntryNotFoundError
    for an id that is not a beneficiary's."""
    record = casework.describe(beneficiary_id, reveal=True)
    if record["kind"] != "beneficiary":
        raise EntryNotFoundError(beneficiary_id, "beneficiary")
    casework.record_access(beneficiary_id, accessed_by=asked_by, role=role, endpoint="subject-access")
    views.catch_up()
    entry_ids, read_models = views.read(privacy_queries.rows_about, beneficiary_id)
    accesses = [
        {"at": e.timestamp.isoformat(), "by": e.accessed_by, "role": e.role, "endpoint": e.endpoint}
        for e in read_log(casework)
        if isinstance(e, ACCESS_RECORDED) and e.beneficiary_id == beneficiary_id
    ]
    return {
        "tenant": casework.tenant.id,
        "beneficiary_id": str(beneficiary_id),
        "generated_at": datetime.now(UTC).isoformat(),
        "generated_for": asked_by,
        "beneficiary": {**record, "history": casework.history(beneficiary_id, reveal=True)},
        "entries": [
            {**casework.describe(entry, reveal=True), "history": casework.history(entry, reveal=True)}
            for entry in sorted(entry_ids, key=str)
        ],
        "read_models": read_models,
        "privacy": consent.privacy_document(casework, beneficiary_id),  # issue 23: consent
        "accessed_by": accesses,
        "documents": documents.held_about(casework, beneficiary_id),  # issue 23: documents
    }
