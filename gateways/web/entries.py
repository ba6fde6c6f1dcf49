"""A page for every entry: a person, a request, a referral, a home visit, an activity, with every fact
recorded and the timeline of every event behind it, and links to the steps its state allows.

The page only presents what ``services.timeline.read_entry`` gives: who may see the entry, whose
personal data open and which steps are allowed are decided there (by ``services.access``). Codes
are shown by their labels, dates as dd/mm/yyyy, moments in Athens time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from domain import catalogue as cat
from domain.clock import ATHENS
from domain.errors import DomainError
from gateways.web.casework_forms import ENTRY_FORMS, PERSON_KINDS, listed
from gateways.web.labels import LABELS
from gateways.web.session import csrf_protect, kentra_of, lang_of, message, render, tenant_name, user_of
from services.access import Principal
from services.casework import Casework
from services.lists import entries_of_person
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


def staff(username: str | None) -> str:
    """A member of staff as the pages name them. Accounts hold no full name yet: the user name, in
    one place, so that full names need one change here."""
    return username or "—"


def field_label(name: str, t: Mapping[str, str]) -> str:
    """A field's words: its own label, else that of its last part (``profile.gender`` is ``gender``)."""
    leaf = name.rsplit(".", 1)[-1]
    for key in (f"field_{name}", name, f"field_{leaf}", leaf, {"household_situation": "household"}.get(leaf, "")):
        if key in t:
            return t[key]
    return name


MARKS = {SEALED: "value_sealed", ERASED: "value_erased", HIDDEN: "value_hidden"}


def value_label(name: str, value: Any, lang: str, structures: Mapping[str, str]) -> str:  # noqa: PLR0911
    """A value in words: a code by its label, a date dd/mm/yyyy, a structure by its name."""
    t = LABELS[lang]
    leaf = name.rsplit(".", 1)[-1]
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and value in MARKS:
        return t[MARKS[value]]
    if isinstance(value, bool):
        return t["yes"] if value else t["no"]
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, dict):  # a volunteer's details
        return " ".join(str(v) for v in value.values() if v)
    labels = CODES.get(leaf)
    if labels is not None and str(value) in labels._value2member_map_:
        return str(getattr(labels(str(value)), f"label_{lang}"))
    if leaf == "isced_level":
        return t.get(f"isced_{value}", str(value))
    if leaf == "structure":
        return structures.get(str(value), str(value))
    return staff(str(value)) if leaf == "recorded_by" else str(value)


def _rows(items: Any, lang: str, structures: Mapping[str, str]) -> list[tuple[str, str]]:
    t = LABELS[lang]
    return [(field_label(name, t), value_label(name, value, lang, structures)) for name, value in items]


def _moment(row: Moment, kind: str, lang: str, structures: Mapping[str, str]) -> dict[str, Any]:
    t = LABELS[lang]
    changes = [
        (
            field_label(c.field, t),
            value_label(c.field, c.old, lang, structures),
            value_label(c.field, c.new, lang, structures),
        )
        for c in row.changes
    ]
    return {
        "event": t.get(f"ev_{kind}_{row.event}") or t.get(f"ev_{row.event}") or row.event,
        "occurred_on": day(row.occurred_on),
        "recorded_at": moment(row.recorded_at),
        "recorded_by": staff(row.recorded_by),
        "structure": structures.get(row.structure or "", row.structure or ""),
        "facts": _rows(row.facts, lang, structures),
        "changes": changes,
        "reason": value_label("reason", row.reason, lang, structures) if row.reason else None,
        "reason_note": value_label("reason_note", row.reason_note, lang, structures) if row.reason_note else None,
    }


def presented(view: EntryView, lang: str, structures: Mapping[str, str]) -> dict[str, Any]:
    """What entry.html shows of an entry, in words."""
    return {
        "view": view,
        "facts": _rows(view.facts.items(), lang, structures),
        "personal": _rows(((k, v) for k, v in view.personal.items() if k.startswith("personal.")), lang, structures),
        "profile": _rows(((k, v) for k, v in view.personal.items() if k.startswith("profile.")), lang, structures),
        "timeline": [_moment(row, view.kind, lang, structures) for row in reversed(view.timeline)],
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
    lang = lang_of(request)
    endpoint = f"GET /t/{{tenant}}/{SEGMENTS[kind]}/{{id}}"
    try:
        view = read_entry(desk.casework, desk.user, entry_id, kind, endpoint)
    except DomainError:
        return message(request, 404, "not_found")
    structures = {s.id: s.name_el for s in desk.casework.tenant.structures}
    context = presented(view, lang, structures)
    if kind == "beneficiary":
        views = kentra_of(request).views(tenant)
        listing = entries_of_person(views, desk.user, entry_id, PERSON_KINDS)
        entries = {k: [_listed(k, row, lang) for row in rows] for k, rows in listing.items()}
        entries["activity"] = [
            _listed("activity", row, lang) for row in activities_of_person(views, desk.user, entry_id)
        ]
        context["entries"] = entries
    done = request.query_params.get("done", "")
    recorded = request.query_params.get("recorded", "")
    notice = desk.t.get(f"done_{done}") if done else None
    if recorded in (*ENTRY_FORMS, "intake"):
        notice = desk.t.get(f"recorded_{recorded}")
    return render(
        request,
        "entry.html",
        tenant=tenant,
        tenant_name=tenant_name(request, tenant),
        kind=kind,
        segments=SEGMENTS,
        heading=heading(view, lang),
        notice=notice,
        **context,
    )


def heading(view: EntryView, lang: str) -> str:
    """The page's title: what the entry is (a person by name, if the reader may see it)."""
    t = LABELS[lang]
    if view.kind == "beneficiary":
        name = " ".join(v for k, v in view.personal.items() if k in ("personal.first_name", "personal.last_name") and v)
        return name or t["person"]
    what = {"request": "category", "referral": "destination", "home_visit": "purpose", "activity": "activity_kind"}
    subtype = what[view.kind]
    return f"{t['kind_' + view.kind]}: {value_label(subtype, view.facts.get(subtype), lang, {})}"


def _listed(kind: str, row: Mapping[str, Any], lang: str) -> dict[str, Any]:
    if kind in PERSON_KINDS:
        shown = listed(kind, row, lang)
    else:
        shown = {**row, "what": value_label("activity_kind", row["subtype"], lang, {})}
    if kind in ("home_visit", "activity"):
        shown["state"] = LABELS[lang].get(f"state_{row['status']}", row["status"])
    return {**shown, "day": day(row["occurred_on"]), "by": staff(row["recorded_by"]), "segment": SEGMENTS[kind]}


def _route(kind: str) -> Any:
    def page(request: Request, tenant: str, entry_id: str) -> Response:
        return entry_page(request, tenant, kind, entry_id)

    page.__name__ = f"{kind}_page"
    page.__doc__ = f"The page of a {kind.replace('_', ' ')}: its facts, timeline and steps."
    return page


for _kind, _segment in SEGMENTS.items():
    router.add_api_route(f"/t/{{tenant}}/{_segment}/{{entry_id}}", _route(_kind), methods=["GET"])
