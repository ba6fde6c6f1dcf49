"""What leaves the municipality: a versioned envelope around a pseudonymised body.

Ids of people and entries become keyed hashes under the municipality's own key. No name, identity
number, contact, address, free text or staff name is published. Special-category answers are
published only as the three ESF answers (yes/no/refused) that the regional ESF aggregates need.
Only the event classes domain/events.py declares published leave (an allow-list): command records,
the access log and any event class not declared there are not published.

A person's registration (and an amendment of their personal data) also carries their region-wide
link: a keyed hash of the ΑΜΚΑ under the Region's linkage key, which the Region does not hold, so
that the Region can count distinct people across its municipalities and learn no one's ΑΜΚΑ.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from domain.activities import Activity
from domain.beneficiaries import Beneficiary
from domain.entries import CaseEntry
from domain.events import PUBLISHED_CHANGES, EventClass, event_name, is_published
from domain.home_visits import HomeVisit
from domain.referrals import Referral
from domain.requests import CaseRequest
from domain.tenants import Tenant

TOPIC = "kentra.events.v1"
SCHEMA_VERSION = 1
Pseudonym = Callable[[UUID], UUID]
Unseal = Callable[[str], dict[str, Any] | None]
Link = Callable[[str], dict[str, str]]  # a normalised ΑΜΚΑ -> {"kid", "value"} (infra.crypto.RegionLink.link)


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def _special(unseal: Unseal, sealed: str | None) -> dict[str, str] | None:
    opened = unseal(sealed) if sealed else None
    special = opened.get("special") if opened else None
    return {k: special[k] for k in ("disability", "minority", "other_disadvantage")} if special else None


def _link(unseal: Unseal, sealed: str | None, link: Link | None) -> dict[str, str] | None:
    """The person's link, or None: no linkage key, no ΑΜΚΑ, or personal data that do not open (erased)."""
    opened = unseal(sealed) if sealed and link else None
    amka = (opened.get("personal") or {}).get("amka") if opened else None
    return link(amka) if link and amka else None


def body_of(  # noqa: PLR0911, PLR0912 - one per type
    kind: EventClass, e: Any, p: Pseudonym, unseal: Unseal, link: Link | None = None
) -> dict[str, Any]:
    """The published facts of one casework event."""
    body: dict[str, Any] = {
        "entry": str(p(e.originator_id)),
        "structure": e.structure,
        "occurred_on": _day(e.occurred_on),
    }
    if kind is Beneficiary.Registered:
        return {
            **body,
            "person": body["entry"],
            "profile": dict(e.profile),
            "special": _special(unseal, e.sealed),
            "link": _link(unseal, e.sealed, link),
        }
    if kind is CaseRequest.Opened:
        return {**body, "person": str(p(e.beneficiary_id)), "category": e.category, "agency": e.agency}
    if kind is CaseRequest.Closed:
        return {**body, "status": e.status}
    if kind is CaseRequest.AgencyStatusRecorded:
        return {**body, "agency": e.agency, "status": e.status}  # not the agency's protocol number
    if kind is Referral.Sent:
        return {
            **body,
            "person": str(p(e.beneficiary_id)),
            "destination": e.destination,
            "request": str(p(e.request_id)) if e.request_id else None,
        }
    if kind is Referral.Answered:
        return {**body, "accepted": e.accepted}
    if kind is Referral.OutcomeRecorded:
        return {**body, "outcome": e.outcome}
    if kind is HomeVisit.Conducted:
        return {
            **body,
            "person": str(p(e.beneficiary_id)),
            "purpose": e.purpose,
            "follow_up_due": _day(e.follow_up_due),
        }
    if kind is Activity.Recorded:
        return {
            **body,
            "kind": e.kind,
            "people": [str(p(b)) for b in e.beneficiary_ids],
            "participants": e.participants,
            "event_type": e.event_type,
            "agency": e.agency,
        }
    if kind is Beneficiary.Erased:  # the ESF answers survive erasure, for the figures; nothing else
        return {**body, "special": _special(unseal, e.sealed_changes)}
    if kind is CaseEntry.Amended:
        changes: dict[str, Any] = {k: _day(v) for k, v in e.changes.items() if k in PUBLISHED_CHANGES}
        if "beneficiary_ids" in changes:
            changes["beneficiary_ids"] = [str(p(UUID(str(b)))) for b in e.changes["beneficiary_ids"]]
        amended = {**body, "changes": changes, "special": _special(unseal, e.sealed_changes), "reason": e.reason}
        if e.sealed_changes:  # a person's personal data were corrected, perhaps the ΑΜΚΑ: their link now
            amended["link"] = _link(unseal, e.sealed_changes, link)
        return amended
    if kind is CaseEntry.Voided:
        return {**body, "reason": e.reason}
    return body  # ProgressStarted, Reopened, FollowUpCompleted: the step and its date are all there is


def envelope(
    tenant: Tenant, position: int, e: Any, pseudonym: Pseudonym, unseal: Unseal, *, link: Link | None = None
) -> dict[str, Any] | None:
    """The message for one event of a tenant's log, or None for an event that is not published.

    ``link`` is the tenant's Region's linkage (None where the Region has no key: no link is published).
    """
    kind = type(e)
    if not is_published(kind):
        return None
    entry = pseudonym(e.originator_id)
    return {
        "schema_version": SCHEMA_VERSION,
        "event_id": str(uuid5(entry, str(e.originator_version))),
        "tenant": tenant.id,
        "region": tenant.region,
        "event_type": event_name(kind),
        "version": e.originator_version,
        "position": position,
        "occurred_on": _day(e.occurred_on),
        "recorded_at": e.timestamp.isoformat(),
        "body": body_of(kind, e, pseudonym, unseal, link),
    }
