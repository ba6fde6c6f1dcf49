"""A page for every entry: a person, a request, a referral, a home visit, an activity, with every fact
recorded and the timeline of every event behind it, and links to the steps its state allows.

The page only presents what ``services.timeline.read_entry`` gives: who may see the entry, whose
personal data open and which steps are allowed are decided there (by ``services.access``). Codes
are shown by their labels, dates as dd/mm/yyyy, moments in Athens time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from domain import catalogue as cat
from domain.clock import ATHENS
from domain.documents import DocumentKind
from domain.errors import DomainError
from gateways.web.casework_forms import ENTRY_FORMS, PERSON_KINDS, listed
from gateways.web.esf_submissions import correction_notice
from gateways.web.households import block as household_block
from gateways.web.labels import LABELS
from gateways.web.participation_forms import block as esf_block
from gateways.web.participation_forms import words as esf_words
from gateways.web.session import csrf_protect, kentra_of, lang_of, message, render, tenant_name, user_of
from services.access import Principal
from services.casework import Casework
from services.casework_catalogue import labels_of
from services.lists import entries_of_person
from services.participation import participation_of
from services.timeline import ERASED, HIDDEN, SEALED, EntryView, Moment, activities_of_person, read_entry

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

# The path of each kind's pages, and back.
SEGMENTS = {
    "beneficiary": "people",
    "request": "requests",
    "referral": "referrals",
    "home_visit": "home-visits",
    "activity": "activities",
}
KINDS = {segment: kind for kind, segment in SEGMENTS.items()}
# The catalogue of each field whose value is a code.
CODES: dict[str, type[cat.Labelled]] = {
    "category": cat.RequestCategory,
    "agency": cat.Agency,
    "destination": cat.Agency,
    "purpose": cat.HomeVisitPurpose,
    "request_status": cat.RequestStatus,
    "agency_status": cat.AgencyApplicationStatus,
    "referral_status": cat.ReferralStatus,
    "outcome": cat.ReferralOutcome,
    "activity_kind": cat.ActivityKind,
    "event_type": cat.CommunityEventType,
    "reason": cat.CorrectionReason,
    "document_kind": DocumentKind,  # issue 23: documents
    "gender": cat.Gender,
    "employment_status": cat.EmploymentStatus,
    "household_situation": cat.HouseholdSituation,
    "residence_area": cat.ResidenceArea,
    "disability": cat.Answer,
    "minority": cat.Answer,
    "other_disadvantage": cat.Answer,
}


@dataclass(frozen=True)
class Reader:
    """Who is reading, in which municipality, through which request."""

    request: Request
    tenant: str
    user: Principal
    casework: Casework

    @property
    def t(self) -> dict[str, str]:
        return LABELS[lang_of(self.request)]


def reader(request: Request, tenant: str) -> Reader | Response:
    """The signed-in user and the tenant's casework; an unknown tenant is "not found" like an unknown
    entry (whether the caller may read it is the entry's use case's to say)."""
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    kentra = kentra_of(request)
    try:
        kentra.registry.tenant(tenant)
    except DomainError:
        return message(request, 404, "not_found")
    return Reader(request, tenant, user, kentra.casework(tenant))


# ---------------------------------------------------------------------------------------- presenting values
def day(value: date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else "—"


def moment(value: datetime) -> str:
    """A recorded moment in Athens time."""
    return f"{value.astimezone(ATHENS):%d/%m/%Y %H:%M}"


def field_label(name: str, t: Mapping[str, str]) -> str:
    """A field's words: its own label, else that of its last part (``profile.gender`` is ``gender``)."""
    leaf = name.rsplit(".", 1)[-1]
    for key in (f"field_{name}", name, f"field_{leaf}", leaf, {"household_situation": "household"}.get(leaf, "")):
        if key in t:
            return t[key]
    return name


MARKS = {SEALED: "value_sealed", ERASED: "value_erased", HIDDEN: "value_hidden"}


@dataclass(frozen=True)
class Words:
    """How a page names things: its language, the tenant's structures and its staff by full name."""

    lang: str
    structures: Mapping[str, str]
    names: Mapping[str, str]
    local: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # the tenant's own codes (issue 23)

    @property
    def t(self) -> dict[str, str]:
        return LABELS[self.lang]

    def staff(self, username: str | None) -> str:
        """A member of staff by full name (the user name of someone no longer on the staff list)."""
        return self.names.get(username or "", username or "—")

    def value(self, name: str, value: Any) -> str:  # noqa: PLR0911
        """A value in words: a code by its label, a date dd/mm/yyyy, a structure or a colleague by name."""
        leaf = name.rsplit(".", 1)[-1]
        if value is None or value == "":
            return "—"
        if isinstance(value, str) and value in MARKS:
            return self.t[MARKS[value]]
        if isinstance(value, bool):
            return self.t["yes"] if value else self.t["no"]
        if isinstance(value, datetime):
            return moment(value)
        if isinstance(value, date):
            return day(value)
        if isinstance(value, dict):  # a volunteer's details
            return " ".join(str(v) for v in value.values() if v)
        if isinstance(value, str) and value in self.local:  # one of the municipality's own codes
            return self.local[value][1 if self.lang == "en" else 0]
        labels = CODES.get(leaf)
        if labels is not None and str(value) in labels._value2member_map_:
            return str(getattr(labels(str(value)), f"label_{self.lang}"))
        if leaf == "isced_level":
            return self.t.get(f"isced_{value}", str(value))
        if leaf == "structure":
            return self.structures.get(str(value), str(value))
        return self.staff(str(value)) if leaf in ("recorded_by", "responsible", "worker") else str(value)

    def rows(self, items: Any) -> list[tuple[str, str]]:
        return [(field_label(name, self.t), self.value(name, value)) for name, value in items]


def words_of(request: Request, casework: Casework) -> Words:
    tenant = casework.tenant
    staff = {p.username: p.display_name for p in kentra_of(request).accounts.staff(tenant.id)}
    return Words(lang_of(request), {s.id: s.name_el for s in tenant.structures}, staff, labels_of(casework))


def _moment(row: Moment, kind: str, words: Words) -> dict[str, Any]:
    t = words.t
    changes = [(field_label(c.field, t), words.value(c.field, c.old), words.value(c.field, c.new)) for c in row.changes]
    return {
        "event": t.get(f"ev_{kind}_{row.event}") or t.get(f"ev_{row.event}") or row.event,
        "occurred_on": day(row.occurred_on),
        "recorded_at": moment(row.recorded_at),
        "recorded_by": words.staff(row.recorded_by),
        "structure": words.structures.get(row.structure or "", row.structure or ""),
        "facts": words.rows(row.facts),
        "changes": changes,
        "reason": words.value("reason", row.reason) if row.reason else None,
        "reason_note": words.value("reason_note", row.reason_note) if row.reason_note else None,
    }


def presented(view: EntryView, words: Words) -> dict[str, Any]:
    """What entry.html shows of an entry, in words."""
    return {
        "view": view,
        "facts": words.rows(view.facts.items()),
        "personal": words.rows((k, v) for k, v in view.personal.items() if k.startswith("personal.")),
        "profile": words.rows((k, v) for k, v in view.personal.items() if k.startswith("profile.")),
        "timeline": [_moment(row, view.kind, words) for row in reversed(view.timeline)],
    }


# ---------------------------------------------------------------------------------------- the pages
def entry_id_of(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def entry_page(request: Request, tenant: str, kind: str, text: str) -> Response:
    """An entry's page: its facts, the person it is about, its timeline and the steps it allows."""
    desk = reader(request, tenant)
    if isinstance(desk, Response):
        return desk
    entry_id = entry_id_of(text)
    if entry_id is None:  # a malformed id is not found, like an unknown one
        return message(request, 404, "not_found")
    endpoint = f"GET /t/{{tenant}}/{SEGMENTS[kind]}/{{id}}"
    try:
        view = read_entry(desk.casework, desk.user, entry_id, kind, endpoint)
    except DomainError:
        return message(request, 404, "not_found")
    words = words_of(request, desk.casework)  # the staff's names, for those who may read the entry
    context = presented(view, words)
    if kind == "beneficiary":
        views = kentra_of(request).views(tenant)
        listing = entries_of_person(views, desk.user, entry_id, PERSON_KINDS)
        entries = {k: [_listed(k, row, words) for row in rows] for k, rows in listing.items()}
        entries["activity"] = [
            _listed("activity", row, words) for row in activities_of_person(views, desk.user, entry_id)
        ]
        context["entries"] = entries
        context["participation"] = esf_block(participation_of(desk.casework, views, desk.user, entry_id), words.lang)
        context["household"] = household_block(desk.casework, views, desk.user, entry_id, words.lang)  # issue 23
    done = request.query_params.get("done", "")
    recorded = request.query_params.get("recorded", "")
    notice = (desk.t.get(f"done_{done}") or esf_words(words.lang).get(f"done_{done}")) if done else None
    if recorded in (*ENTRY_FORMS, "intake"):
        notice = desk.t.get(f"recorded_{recorded}")
    warned = done in ("amend", "void") and request.query_params.get("warn") == "esf"
    warnings = correction_notice(request, tenant, entry_id) if warned else []  # ESF submissions it restates
    return render(
        request,
        "entry.html",
        tenant=tenant,
        tenant_name=tenant_name(request, tenant),
        kind=kind,
        segments=SEGMENTS,
        heading=heading(view, words),
        notice=notice,
        warnings=warnings,
        **context,
    )


def heading(view: EntryView, words: Words) -> str:
    """The page's title: what the entry is (a person by name, if the reader may see it)."""
    t = words.t
    if view.kind == "beneficiary":
        name = " ".join(v for k, v in view.personal.items() if k in ("personal.first_name", "personal.last_name") and v)
        return name or t["person"]
    what = {"request": "category", "referral": "destination", "home_visit": "purpose", "activity": "activity_kind"}
    subtype = what[view.kind]
    local = view.facts.get(LOCAL_FACTS[view.kind])  # the municipality's own code, said by its own label
    return f"{t['kind_' + view.kind]}: {words.value(subtype, local or view.facts.get(subtype))}"


LOCAL_FACTS = {
    "request": "local_category",
    "referral": "local_destination",
    "home_visit": "local_purpose",
    "activity": "local_kind",
}


def _listed(kind: str, row: Mapping[str, Any], words: Words) -> dict[str, Any]:
    if kind in PERSON_KINDS:
        shown = listed(kind, row, words.lang)
    else:
        shown = {**row, "what": words.value("activity_kind", row["subtype"])}
    if row.get("local_subtype") in words.local:  # the municipality's own code, by its own label (issue 23)
        shown["what"] = words.value("local_subtype", row["local_subtype"])
    if kind in ("home_visit", "activity"):
        shown["state"] = words.t.get(f"state_{row['status']}", row["status"])
    return {**shown, "day": day(row["occurred_on"]), "by": words.staff(row["recorded_by"]), "segment": SEGMENTS[kind]}


def _route(kind: str) -> Any:
    def page(request: Request, tenant: str, entry_id: str) -> Response:
        return entry_page(request, tenant, kind, entry_id)

    page.__name__ = f"{kind}_page"
    page.__doc__ = f"The page of a {kind.replace('_', ' ')}: its facts, timeline and steps."
    return page


for _kind, _segment in SEGMENTS.items():
    router.add_api_route(f"/t/{{tenant}}/{_segment}/{{entry_id}}", _route(_kind), methods=["GET"])
