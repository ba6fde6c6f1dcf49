"""A submission's restatement: its figures as submitted against the figures now, the cells that changed,
and for each the events recorded since that changed it.

The log is replayed (``projections.replay``, in memory, from the raw events) to the submission's
position and to its head in one pass. For each changed cell, the people counted then and now are
compared; the events listed are those recorded after the position that concern the people who moved
in or out: a late intake dated in the period, an amendment or correction (with its reason code), a
void, an erasure. People are named by the tenant's pseudonym, never by anything that identifies them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from projections import esf_queries
from projections.cells import Member, flatten_esf, members
from projections.replay import Replay, replay
from projections.restatement import events_behind
from services.access import Principal, may_read_esf_submissions
from services.casework import Casework
from services.esf_submissions import Submission, asked_by_auditor, changed_cells, events_of, one, summary

Pseudonym = Callable[[UUID], UUID]
MAX_EVENTS = 200  # per changed cell
REASONED = ("Amended", "Voided", "OperationRecordCorrected")


def _figures(replayed: Any, submission: Submission) -> dict[str, int]:
    doc = replayed.read(
        esf_queries.esf_delivery, submission.operation, submission.period_from, submission.period_to, None
    )
    return flatten_esf(doc)


def _members(replayed: Any, cell: str, submission: Submission) -> set[Member]:
    return set(replayed.read(members, cell, submission.period_from, submission.period_to, None))


def restatement(
    casework: Casework, submission_id: UUID, *, user: Principal | None = None, pseudonym: Pseudonym | None = None
) -> dict[str, Any]:
    """What changed in a submission's figures since it was computed, and the events behind each change
    (``user``: the caller, who must be a coordinator or auditor of the tenant)."""
    if user is not None:
        may_read_esf_submissions(user, casework.tenant.id)
        asked_by_auditor(casework, user, "GET /esf/submissions/{id}", submission=str(submission_id))
    submission = one(casework, submission_id)
    replayed = replay(casework, casework.vault, casework.today(), until_position=submission.position)
    try:
        return _compared(casework, submission, replayed, pseudonym)
    finally:
        replayed.close()


def _compared(
    casework: Casework, submission: Submission, replayed: Replay, pseudonym: Pseudonym | None
) -> dict[str, Any]:
    then, now = _figures(replayed.as_of, submission), _figures(replayed.now, submission)

    def name(entry_id: UUID, person: bool) -> str:
        if person and pseudonym is not None:
            return f"pseudonym:{pseudonym(entry_id)}"
        return str(entry_id)

    changes = []
    reasons: dict[UUID, dict[int, str]] = {}
    for cell, (before, after) in changed_cells(submission, now).items():
        counted_then, counted_now = _members(replayed.as_of, cell, submission), _members(replayed.now, cell, submission)
        moved = counted_then ^ counted_now
        people = {m.beneficiary_id for m in moved if m.beneficiary_id is not None}
        found, _ = replayed.now.read(events_behind, moved, _plain, limit=100_000)
        later = [e for e in found if e["position"] > submission.position]
        events = []
        for event in later[:MAX_EVENTS]:
            entry_id = UUID(event["entry"])
            if entry_id not in reasons:
                reasons[entry_id] = _reasons(casework, entry_id)
            shown = {k: v for k, v in event.items() if k != "structure"}  # a person's structure is not the figure's
            events.append(
                {
                    **shown,
                    "entry": name(entry_id, entry_id in people),
                    "reason": reasons[entry_id].get(event["version"]),
                }
            )
        changes.append(
            {
                "cell": cell,
                "as_submitted": before,
                "replayed_at_submission": then.get(cell, 0),
                "now": after,
                "difference": after - before,
                "moved_in": len({m.beneficiary_id for m in counted_now - counted_then}),
                "moved_out": len({m.beneficiary_id for m in counted_then - counted_now}),
                "events_total": len(later),
                "events": events,
            }
        )
    return {
        "tenant": casework.tenant.id,
        "submission": summary(submission),
        "holds": not changes,
        # The submitted figures are the log's at the position: a difference here is not a restatement
        # but a row that was not computed from this log (audit verify says whether the log was forged).
        "matches_log_at_submission": not changed_cells(submission, then),
        "replayed": {
            "up_to_position": submission.position,
            "events_then": replayed.as_of.events,
            "events_since": replayed.now.events - replayed.as_of.events,
            "log_head": replayed.head,
        },
        "cells_compared": len(set(submission.figures) | set(now)),
        "changes": changes,
    }


def _plain(entry_id: UUID, person: bool) -> str:
    return str(entry_id)


def _reasons(casework: Casework, entry_id: UUID) -> dict[int, str]:
    """The correction reason code of each of an entry's corrections, by version (codes, never notes)."""
    found: dict[int, str] = {}
    for event in events_of(casework, entry_id):
        if type(event).__qualname__.rsplit(".", 1)[-1] in REASONED:
            found[event.originator_version] = str(getattr(event, "reason", "") or "") or "other"
    return found
