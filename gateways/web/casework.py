"""The caseworkers' pages: find or register a person at intake, and record their requests, referrals,
home visits and activities through forms.

Each form carries a command id made when it was drawn, so sending it twice (a double click, the
browser's "send again") records it once. A failed form is drawn again with what was typed and the
reasons beside each field; nothing is recorded until every check passes. Posting needs the session
cookie (SameSite=Strict) and the form's CSRF token of that session (``session.csrf_protect``): another
site cannot post a form in a user's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError

from domain import catalogue as cat
from domain.errors import DomainError, DuplicateBeneficiaryError, EntryNotFoundError, InvalidValueError
from domain.profile import PersonalDetails
from gateways.http.routes import record, visible_entry
from gateways.web.forms import Field, Filled, Section, fields_of, invalid, read, refused
from gateways.web.labels import LABELS
from gateways.web.session import csrf_protect, kentra_of, lang_of, message, render, tenant_name, user_of
from projections.queries import page
from services import commands as c
from services.access import (
    AccessDeniedError,
    Principal,
    may_record_casework,
    may_search_people,
    sees_structure,
    structure_scope,
)
from services.casework import Casework

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

ISCED = [(str(level), f"isced_{level}") for level in range(9)]
NOTES = Field("notes", "notes", "textarea")

INTAKE = [
    Section(
        "personal_details",
        [
            Field("personal.first_name", "first_name", required=True, autocomplete="off"),
            Field("personal.last_name", "last_name", required=True, autocomplete="off"),
            Field("personal.birth_date", "birth_date", "date", required=True),
            Field("personal.amka", "amka", hint="amka_hint", autocomplete="off"),
            Field("amka_date_mismatch_confirmed", "amka_date_mismatch_confirmed", "checkbox"),
            Field("personal.afm", "afm", autocomplete="off"),
            Field("personal.phone", "phone", autocomplete="off"),
            Field("personal.email", "email", autocomplete="off"),
            Field("personal.address", "address", autocomplete="off"),
        ],
    ),
    Section(
        "profile",
        [
            Field("profile.gender", "gender", "select", cat.Gender, required=True),
            Field("profile.employment_status", "employment_status", "select", cat.EmploymentStatus, required=True),
            Field("profile.isced_level", "isced_level", "select", choices=ISCED, required=True),
            Field("profile.household_situation", "household", "select", cat.HouseholdSituation, required=True),
            Field("profile.residence_area", "residence_area", "select", cat.ResidenceArea, required=True),
            Field("profile.foreign_background", "foreign_background", "checkbox"),
            Field("profile.third_country_national", "third_country_national", "checkbox"),
            Field("profile.homeless_or_housing_exclusion", "homeless", "checkbox"),
        ],
    ),
    Section(
        "special",
        [
            Field("special.disability", "disability", "select", cat.Answer, required=True),
            Field("special.minority", "minority", "select", cat.Answer, required=True),
            Field("special.other_disadvantage", "other_disadvantage", "select", cat.Answer, required=True),
        ],
        hint="special_hint",
    ),
]

ENTRY_FORMS: dict[str, tuple[str, type[BaseModel], list[Field]]] = {
    "request": (
        "open_request",
        c.OpenRequestFields,
        [
            Field("category", "category", "select", cat.RequestCategory, required=True),
            Field("agency", "agency", "select", cat.Agency),
            Field("agency_reference", "agency_reference"),
            NOTES,
        ],
    ),
    "referral": (
        "send_referral",
        c.ReferralFields,
        [Field("destination", "destination", "select", cat.Agency, required=True), NOTES],
    ),
    "home_visit": (
        "record_home_visit",
        c.HomeVisitFields,
        [
            Field("purpose", "purpose", "select", cat.HomeVisitPurpose, required=True),
            Field("follow_up_due", "follow_up_due", "date"),
            Field("findings", "findings", "textarea"),
        ],
    ),
    "activity": (
        "record_activity",
        c.ActivityFields,
        [
            Field("kind", "activity_kind", "select", cat.ActivityKind, required=True),
            Field("participants", "participants", "number"),
            Field("event_type", "event_type", "select", cat.CommunityEventType),
            Field("agency", "agency", "select", cat.Agency),
            NOTES,
        ],
    ),
}
PERSON_KINDS = ("request", "referral", "home_visit")  # entries listed on a person's page
SUBTYPES: dict[str, type[cat.Labelled]] = {
    "request": cat.RequestCategory,
    "referral": cat.Agency,
    "home_visit": cat.HomeVisitPurpose,
}
STATUSES: dict[str, type[cat.Labelled]] = {"request": cat.RequestStatus, "referral": cat.ReferralStatus}


@dataclass(frozen=True)
class Desk:
    """Who is working, for which municipality, through which request."""

    request: Request
    tenant: str
    user: Principal
    casework: Casework

    @property
    def t(self) -> dict[str, str]:
        return LABELS[lang_of(self.request)]


def _staff(request: Request, tenant: str) -> Desk | Response:
    """The signed-in caseworker or coordinator of this tenant, and its casework; or the page saying no."""
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    kentra = kentra_of(request)
    try:
        kentra.registry.tenant(tenant)
        may_record_casework(user, tenant, None)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError:
        return message(request, 404, "not_built")
    return Desk(request, tenant, user, kentra.casework(tenant))


def _structure_field(user: Principal, casework: Casework) -> Field:
    if structure_scope(user) is not None:
        return Field("structure", "structure", "hidden")
    return Field(
        "structure",
        "structure",
        "select",
        choices=[(s.id, s.name_el) for s in casework.tenant.structures],
        required=True,
    )


def _occurred(label: str = "entry_date") -> Field:
    return Field("occurred_on", label, "date", required=True)


def _person(desk: Desk, beneficiary_id: UUID) -> dict[str, Any]:
    """A person the caller may see, with their personal details (never the special-category answers)."""
    entry = visible_entry(desk.casework, desk.user, beneficiary_id)
    if entry.KIND != "beneficiary" or entry.voided:
        raise EntryNotFoundError(beneficiary_id, "beneficiary")
    opened = desk.casework.personal_data(entry) or {}
    names = {s.id: s.name_el for s in desk.casework.tenant.structures}
    return {
        "id": entry.id,
        "structure_id": entry.structure,
        "structure": names.get(entry.structure, entry.structure),
        "registered_on": entry.occurred_on.isoformat(),
        **opened.get("personal", {}),
    }


def _visible(desk: Desk, people: list[UUID]) -> list[UUID]:
    """The people found whom the caller may see: the others are left out without a trace."""
    return [b for b in people if sees_structure(desk.user, desk.casework.entry(b).structure)]


def _searched(desk: Desk, by: str, shown: list[UUID], endpoint: str) -> None:
    """Log the search itself (how, and how many were shown; never what was searched for)."""
    user = desk.user
    desk.casework.record_search(
        by=by, found=len(shown), searched_by=user.username, role=user.role.value, endpoint=endpoint
    )


def _seen(desk: Desk, people: list[UUID], endpoint: str) -> list[dict[str, Any]]:
    """The people shown on a page, each look recorded in the tenant's log as over the API."""
    shown = [_person(desk, b) for b in people]  # first: a person the caller may not see is not logged
    user = desk.user
    for beneficiary_id in people:
        desk.casework.record_access(beneficiary_id, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
    return shown


def _draw(desk: Desk, sections: list[Section], filled: Filled, key: str, status: int = 200, **extra: Any) -> Response:
    return render(
        desk.request,
        "form.html",
        status,
        tenant=desk.tenant,
        tenant_name=tenant_name(desk.request, desk.tenant),
        sections=sections,
        field_labels={f.name: f.label for f in fields_of(sections)},
        filled=filled,
        command_id=key,
        **extra,
    )


def _read(desk: Desk, sections: list[Section], form: Mapping[str, Any]) -> tuple[dict[str, Any], Filled, str]:
    """The body a posted form describes, the form to draw again if need be, and its command id."""
    body, shown = read(sections, form)
    if (own := structure_scope(desk.user)) is not None:  # a caseworker records for her own structure only
        body["structure"] = shown["structure"] = own
    return body, Filled(values=shown), str(form.get("command_id") or f"web-{uuid4()}")


# ---------------------------------------------------------------------------------------- finding people
@router.get("/t/{tenant}/people")
def find_people(request: Request, tenant: str) -> Response:
    """Search by ΑΜΚΑ or name before an intake: the person may be registered already."""
    desk = _staff(request, tenant)
    if isinstance(desk, Response):
        return desk
    query = request.query_params
    amka, name = (query.get("amka") or "").strip(), (query.get("name") or "").strip()
    context: dict[str, Any] = {"tenant": tenant, "tenant_name": tenant_name(request, tenant), "amka": amka}
    context["asked_name"] = name
    if query.get("recorded") == "activity":
        context["notice"] = desk.t["recorded_activity"]
    if not (amka or name):
        return render(request, "people.html", **context)
    casework = desk.casework
    try:
        may_search_people(desk.user, tenant)
        ids = ([hit] if (hit := casework.find_by_amka(amka)) else []) if amka else casework.search_by_name(name)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except InvalidValueError as exc:
        asked = [Section(None, [Field("amka", "amka"), Field("name", "name_search")])]
        return render(request, "people.html", 422, error=refused(exc, asked, desk.t), **context)
    visible = _visible(desk, ids)
    _searched(desk, "amka" if amka else "name", visible, f"GET /t/{tenant}/people")
    found = _seen(desk, visible, f"GET /t/{tenant}/people")
    new = f"/t/{tenant}/intake?" + urlencode({"amka": amka} if amka else {"name": name})
    return render(request, "people.html", found=found, searched=True, new=new, **context)


# ---------------------------------------------------------------------------------------- intake
def _intake_sections(desk: Desk) -> list[Section]:
    return [Section(None, [_structure_field(desk.user, desk.casework), _occurred("intake_date")]), *INTAKE]


def _prefill(desk: Desk) -> Filled:
    """A new form: today, the caseworker's structure, and what the search was for."""
    query = desk.request.query_params
    values = {"occurred_on": desk.casework.today().isoformat(), "structure": desk.user.structure or ""}
    if query.get("amka"):
        values["personal.amka"] = query["amka"]
    first, _, last = (query.get("name") or "").strip().rpartition(" ")
    if last:
        values["personal.last_name"] = last
    if first:
        values["personal.first_name"] = first
    return Filled(values=values)


@router.get("/t/{tenant}/intake")
def intake_form(request: Request, tenant: str) -> Response:
    desk = _staff(request, tenant)
    if isinstance(desk, Response):
        return desk
    return _draw(
        desk, _intake_sections(desk), _prefill(desk), f"web-{uuid4()}", heading="intake", action=request.url.path
    )


def likely_duplicates(desk: Desk, personal: PersonalDetails, endpoint: str) -> list[UUID]:
    """People already registered who are probably this one (same surname, and same first name or birth
    date) whom the caller may see. A match in a structure she may not see is not hinted at, not even
    counted: that someone is served by the Roma branch is itself special-category data."""
    visible = _visible(desk, desk.casework.likely_duplicates(personal))
    _searched(desk, "likely_duplicate", visible, endpoint)
    return visible


@router.post("/t/{tenant}/intake")
async def intake(request: Request, tenant: str) -> Response:
    """Register a person. A likely duplicate is shown first and needs the caseworker's confirmation."""
    desk = _staff(request, tenant)
    if isinstance(desk, Response):
        return desk
    form = await request.form()
    sections = _intake_sections(desk)
    body, filled, key = _read(desk, sections, form)
    again: dict[str, Any] = {"heading": "intake", "action": request.url.path}
    try:
        payload = c.IntakeFields.model_validate(body)
        if form.get("confirmed_new") != "yes":
            endpoint = f"POST /t/{tenant}/intake"
            if visible := likely_duplicates(desk, payload.personal, endpoint):
                people = _seen(desk, visible, endpoint)
                return _draw(desk, sections, filled, key, 409, duplicates=people, **again)
        beneficiary_id = record(desk.casework, desk.user, payload, "register_beneficiary", key, Response()).entry_id
    except ValidationError as exc:
        filled.errors = invalid(exc, sections, desk.t)
    except DuplicateBeneficiaryError as exc:
        # record() left the holder's id in only for those told who holds an ΑΜΚΑ (a coordinator);
        # a caseworker reads the same words whichever structure holds it.
        told = exc.existing_id is not None
        filled.errors = {"personal.amka": desk.t["err_amka_taken" if told else "err_amka_taken_ask"]}
        again["taken"] = True
        if told:
            again["existing"] = exc.existing_id
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError as exc:
        filled.errors = refused(exc, sections, desk.t)
    if filled.errors:
        return _draw(desk, sections, filled, key, 409 if again.pop("taken", False) else 422, **again)
    return RedirectResponse(f"/t/{tenant}/people/{beneficiary_id}?recorded=intake", status_code=303)


# ---------------------------------------------------------------------------------------- a person
@router.get("/t/{tenant}/people/{beneficiary_id}")
def person_page(request: Request, tenant: str, beneficiary_id: UUID) -> Response:
    """A person's details and their requests, referrals and home visits, with links to record more."""
    desk = _staff(request, tenant)
    if isinstance(desk, Response):
        return desk
    lang = lang_of(request)
    try:
        person = _seen(desk, [beneficiary_id], "GET /t/{tenant}/people/{id}")[0]
    except DomainError:
        return message(request, 404, "not_found")
    views = kentra_of(request).views(tenant)
    views.catch_up()  # read your own writes: what was just recorded is listed
    entries: dict[str, list[dict[str, Any]]] = {}
    with views.engine.connect() as conn:
        for kind in PERSON_KINDS:
            rows, _ = page(
                conn,
                kind=kind,
                # Her own structure's entries only: a person served by both lists the other's nowhere.
                filters={"beneficiary_id": beneficiary_id, "structure": structure_scope(desk.user)},
                occurred_from=None,
                occurred_to=None,
                limit=200,
                offset=0,
            )
            entries[kind] = [
                {**row, "what": _label(SUBTYPES[kind], row["subtype"], lang), "state": _status(kind, row, lang)}
                for row in rows
            ]
    recorded = request.query_params.get("recorded", "")
    return render(
        request,
        "person.html",
        tenant=tenant,
        tenant_name=tenant_name(request, tenant),
        person=person,
        entries=entries,
        notice=desk.t.get(f"recorded_{recorded}") if recorded in (*ENTRY_FORMS, "intake") else None,
    )


def _label(labels: type[cat.Labelled], code: str | None, lang: str) -> str:
    if code is None or code not in labels._value2member_map_:
        return code or ""
    return str(getattr(labels(code), f"label_{lang}"))


def _status(kind: str, row: Mapping[str, Any], lang: str) -> str:
    labels = STATUSES.get(kind)
    return _label(labels, row["status"], lang) if labels else str(row["status"])


# ---------------------------------------------------------------------------------------- entries
def _entry_sections(desk: Desk, kind: str) -> list[Section]:
    _, _, fields = ENTRY_FORMS[kind]
    person = Field("beneficiary_ids" if kind == "activity" else "beneficiary_id", "person", "hidden")
    return [Section(None, [person, _structure_field(desk.user, desk.casework), _occurred(), *fields])]


def _beneficiary_param(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


@router.get("/t/{tenant}/record/{kind}")
def entry_form(request: Request, tenant: str, kind: str) -> Response:
    """A form for a request, referral or home visit of a person, or an activity (of a person or none)."""
    desk = _staff(request, tenant)
    if isinstance(desk, Response):
        return desk
    if kind not in ENTRY_FORMS:
        return message(request, 404, "not_built")
    beneficiary = _beneficiary_param(request.query_params.get("beneficiary"))
    if beneficiary is None and kind != "activity":
        return RedirectResponse(f"/t/{tenant}/people", status_code=303)  # first find the person
    values = {"occurred_on": desk.casework.today().isoformat(), "structure": desk.user.structure or ""}
    person = None
    if beneficiary is not None:
        try:
            person = _person(desk, beneficiary)
        except DomainError:
            return message(request, 404, "not_found")
        values["structure"] = desk.user.structure or person["structure_id"]
        values["beneficiary_ids" if kind == "activity" else "beneficiary_id"] = str(beneficiary)
    sections = _entry_sections(desk, kind)
    return _draw(
        desk,
        sections,
        Filled(values=values),
        f"web-{uuid4()}",
        heading=f"new_{kind}",
        person=person,
        action=request.url.path,
    )


@router.post("/t/{tenant}/record/{kind}")
async def record_entry(request: Request, tenant: str, kind: str) -> Response:
    desk = _staff(request, tenant)
    if isinstance(desk, Response):
        return desk
    if kind not in ENTRY_FORMS:
        return message(request, 404, "not_built")
    form = await request.form()
    beneficiary = _beneficiary_param(form.get("beneficiary_ids") or form.get("beneficiary_id"))
    sections = _entry_sections(desk, kind)
    body, filled, key = _read(desk, sections, form)
    if kind == "activity":
        body["beneficiary_ids"] = [str(beneficiary)] if beneficiary else []
    person = None
    try:
        if beneficiary is not None:
            person = _person(desk, beneficiary)
        _execute(desk, kind, body, key)
    except ValidationError as exc:
        filled.errors = invalid(exc, sections, desk.t)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError as exc:
        filled.errors = refused(exc, sections, desk.t)
    if filled.errors:
        again = {"heading": f"new_{kind}", "person": person, "action": request.url.path}
        return _draw(desk, sections, filled, key, 422, **again)
    where = f"/t/{tenant}/people/{beneficiary}" if beneficiary else f"/t/{tenant}/people"
    return RedirectResponse(f"{where}?recorded={kind}", status_code=303)


def _execute(desk: Desk, kind: str, body: dict[str, Any], key: str) -> UUID:
    command, model, _ = ENTRY_FORMS[kind]
    payload = model.model_validate(body)
    if not isinstance(payload, c.Payload):  # every form's model is a command body
        raise TypeError(model)
    return record(desk.casework, desk.user, payload, command, key, Response()).entry_id
