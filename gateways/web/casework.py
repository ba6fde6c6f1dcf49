"""The caseworkers' pages: find or register a person at intake, and record their requests, referrals,
home visits and activities through forms.

Each form carries a command id made when it was drawn, so sending it twice (a double click, the
browser's "send again") records it once. A failed form is drawn again with what was typed and the
reasons beside each field; nothing is recorded until every check passes. Posting needs the session
cookie (SameSite=Strict) and the form's CSRF token of that session (``session.csrf_protect``): another
site cannot post a form in a user's name.

The pages only read forms and draw answers: finding, showing and recording are the same use cases
the API calls (``services.people``, ``services.recording``, ``services.lists``); the forms
themselves are described in ``gateways.web.casework_forms``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from domain.errors import DomainError, DuplicateBeneficiaryError, InvalidValueError
from gateways.web import people_search
from gateways.web.casework_forms import (
    ENTRY_FORMS,
    entry_sections,
    intake_sections,
)
from gateways.web.catalogue_forms import with_local
from gateways.web.forms import Filled, Section, fields_of, invalid, read, refused
from gateways.web.labels import LABELS
from gateways.web.session import (
    csrf_protect,
    csrf_token,
    kentra_of,
    lang_of,
    message,
    render,
    tenant_name,
    user_of,
)
from services import commands as c
from services import people, staff_search
from services.access import AccessDeniedError, Principal, may_record_casework, structure_scope
from services.casework import Casework
from services.recording import record

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


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


def staff_desk(request: Request, tenant: str) -> Desk | Response:
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
    """The search before an intake: the person may be registered already. The form posts, and its results
    are at ``?q=`` (the search sealed for this session: what was searched for, personal data, stays out
    of addresses, logs and history; Back and reload work). A search in plain parameters is still answered."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    query = request.query_params
    sealed = query.get("q")
    asked = people_search.opened_search(sealed, csrf_token(request)) if sealed else query
    return _search(desk, {**asked, "recorded": query.get("recorded", "")})


@router.post("/t/{tenant}/people")
async def search_people(request: Request, tenant: str) -> Response:
    """The search form sent: by ΑΜΚΑ, by the start of a surname, by birth date, or surname and birth date;
    answered by the results page's sealed address."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    form = {key: str((await request.form()).get(key) or "") for key in people_search.FIELDS}
    sealed = people_search.sealed_search(form, csrf_token(request))
    return RedirectResponse(f"/t/{tenant}/people?" + urlencode({"q": sealed}), status_code=303)


def _search(desk: Desk, asked: Mapping[str, Any]) -> Response:
    request, tenant = desk.request, desk.tenant
    words = people_search.WORDS[lang_of(request)]
    typed = {key: str(asked.get(key) or "").strip() for key in ("amka", "name", "birth_date")}
    context: dict[str, Any] = {"tenant": tenant, "tenant_name": tenant_name(request, tenant), "s": words}
    context |= {"amka": typed["amka"], "asked_name": typed["name"], "asked_born": typed["birth_date"]}
    if asked.get("recorded") == "activity":
        context["notice"] = desk.t["recorded_activity"]
    if not any(typed.values()):
        return render(request, "people.html", **context)
    endpoint = f"GET /t/{tenant}/people"
    try:  # by ΑΜΚΑ if one is given, else by name and birth date
        query = staff_search.PeopleQuery(
            amka=typed["amka"] or None,
            name=None if typed["amka"] else typed["name"] or None,
            birth_date=None if typed["amka"] else people_search.birth_date(typed["birth_date"]),
        )
        views = kentra_of(request).views(tenant)
        found = staff_search.find(desk.casework, views, desk.user, query, limit=people_search.LIMIT, endpoint=endpoint)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except InvalidValueError as exc:
        wrong = {"amka": desk.t["err_amka"], "birth_date": words["err_search_date"]}
        context["error"] = {exc.field or "name": wrong.get(exc.field or "", words["err_search_short"])}
        return render(request, "people.html", 422, **context)
    structures = {s.id: s.name_el for s in desk.casework.tenant.structures}  # as the person page names them
    shown = [
        {
            "id": p.id,
            "name": f"{p.first_name} {p.last_name}",
            "born": people_search.shown_date(p.birth_date),
            "amka": p.amka_masked or "",
            "last_contact": people_search.shown_date(p.last_contact) or words["no_contact"],
            "structure": structures.get(p.structure, p.structure),
        }
        for p in found.people
    ]
    if found.too_many:
        context["cut"] = words["search_too_many"]
    elif found.cut:
        context["cut"] = words["search_cut"].format(shown=len(shown), total=found.total)
    # The intake form starts from what was searched for, sealed as the results' address is (never an
    # ΑΜΚΑ or a name in an address: the browser's history and a proxy's log keep those).
    carried = {"amka": typed["amka"]} if typed["amka"] else {"name": typed["name"]}
    new = f"/t/{tenant}/intake?" + urlencode({"q": people_search.sealed_search(carried, csrf_token(request))})
    return render(request, "people.html", found=shown, searched=True, new=new, **context)


# ---------------------------------------------------------------------------------------- intake
def _prefill(desk: Desk) -> Filled:
    """A new form: today, the caseworker's structure, and what the search was for."""
    query: Mapping[str, str] = desk.request.query_params
    if query.get("q"):  # from the search's results: sealed for this session
        query = people_search.opened_search(query["q"], csrf_token(desk.request))
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
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    return _draw(
        desk,
        intake_sections(desk.user, desk.casework.tenant),
        _prefill(desk),
        f"web-{uuid4()}",
        heading="intake",
        action=request.url.path,
    )


@router.post("/t/{tenant}/intake")
async def intake(request: Request, tenant: str) -> Response:
    """Register a person. A likely duplicate is shown first and needs the caseworker's confirmation."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    form = await request.form()
    sections = intake_sections(desk.user, desk.casework.tenant)
    body, filled, key = _read(desk, sections, form)
    again: dict[str, Any] = {"heading": "intake", "action": request.url.path}
    try:
        payload = c.IntakeFields.model_validate(body)
        if form.get("confirmed_new") != "yes":
            endpoint = f"POST /t/{tenant}/intake"
            if visible := people.likely_duplicates(desk.casework, desk.user, payload.personal, endpoint):
                shown = people.seen(desk.casework, desk.user, visible, endpoint)
                return _draw(desk, sections, filled, key, 409, duplicates=shown, **again)
        beneficiary_id = record(desk.casework, desk.user, payload, "register_beneficiary", key).entry_id
    except ValidationError as exc:
        filled.errors = invalid(exc, sections, desk.t)
    except DuplicateBeneficiaryError as exc:
        # services.recording left the holder's id in only for those told who holds an ΑΜΚΑ (a coordinator);
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
# A person's page, like every entry's, is in gateways/web/entries.py.


# ---------------------------------------------------------------------------------------- entries
def _beneficiary_param(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


@router.get("/t/{tenant}/record/{kind}")
def entry_form(request: Request, tenant: str, kind: str) -> Response:
    """A form for a request, referral or home visit of a person, or an activity (of a person or none)."""
    desk = staff_desk(request, tenant)
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
            person = people.person(desk.casework, desk.user, beneficiary)
        except DomainError:
            return message(request, 404, "not_found")
        values["structure"] = desk.user.structure or person["structure_id"]
        values["beneficiary_ids" if kind == "activity" else "beneficiary_id"] = str(beneficiary)
    sections = with_local(entry_sections(desk.user, desk.casework.tenant, kind), desk.casework, lang_of(request))
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
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    if kind not in ENTRY_FORMS:
        return message(request, 404, "not_built")
    form = await request.form()
    beneficiary = _beneficiary_param(form.get("beneficiary_ids") or form.get("beneficiary_id"))
    sections = with_local(entry_sections(desk.user, desk.casework.tenant, kind), desk.casework, lang_of(request))
    body, filled, key = _read(desk, sections, form)
    if kind == "activity":
        body["beneficiary_ids"] = [str(beneficiary)] if beneficiary else []
    person = None
    try:
        if beneficiary is not None:
            person = people.person(desk.casework, desk.user, beneficiary)
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
    return record(desk.casework, desk.user, payload, command, key).entry_id
