"""Pages: Households: people linked as head and members, moves between households (issue 23).

A person's page shows their household (``block``, drawn by person_household.html): its members with their
relation and a link to each (names only for those who may see them), its size, and the steps: form one
with the person as head, leave, move to another household, and the household's own page, where members
are found by name (the people search's rules and log) and added, the head is changed and members leave.
Like the other forms: a command id drawn with the form, the session's CSRF token, Greek words first.
The rules are the use cases' (services/households.py) and services/access.py's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from domain.errors import (
    BeneficiaryErasedError,
    ConcurrentChangeError,
    DateInFutureError,
    DateOrderError,
    DomainError,
    EntryNotFoundError,
    InvalidValueError,
)
from domain.households import AlreadyInHouseholdError, HeadMustStayError, HouseholdRelation, NotInHouseholdError
from gateways.web import people_search
from gateways.web.casework import Desk, staff_desk
from gateways.web.present import DateFormatError, parse_date, shown_date
from gateways.web.session import csrf_protect, csrf_token, kentra_of, lang_of, message, render, tenant_name
from projections.runner import CaseworkViews
from services import commands as c
from services import households
from services.access import AccessDeniedError, Principal, may_change_household
from services.casework import Casework

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

ERRORS: list[tuple[type[DomainError], str]] = [  # the first that fits says what went wrong, in the staff's words
    (AlreadyInHouseholdError, "hh_err_already"),
    (NotInHouseholdError, "hh_err_not_member"),
    (HeadMustStayError, "hh_err_head_stays"),
    (BeneficiaryErasedError, "hh_err_erased"),
    (ConcurrentChangeError, "hh_err_changed"),
    (DateInFutureError, "hh_err_date"),
    (DateOrderError, "hh_err_date_order"),
]


def _error_key(error: DomainError) -> str:
    for kind, key in ERRORS:
        if isinstance(error, kind):
            return key
    if isinstance(error, InvalidValueError) and error.field == "relation":
        return "hh_err_relation"
    if isinstance(error, InvalidValueError) and error.field == "beneficiary_id":
        return "hh_err_structure"
    return "hh_err_refused"


def relations(lang: str, *, head: bool = False) -> list[tuple[str, str]]:
    return [
        (r.value, r.label_el if lang == "el" else r.label_en)
        for r in HouseholdRelation
        if head or r is not HouseholdRelation.HEAD
    ]


def _may_change(user: Principal, tenant: str, structure: str) -> bool:
    try:
        may_change_household(user, tenant, structure)
    except AccessDeniedError:
        return False
    return True


def block(casework: Casework, views: CaseworkViews, user: Principal, beneficiary_id: UUID, lang: str) -> dict[str, Any]:
    """What a person's page shows of their household; ``shown`` is False for who may not see households."""
    endpoint = "GET /t/{tenant}/people/{id}"
    try:
        found = households.household_of(casework, views, user, beneficiary_id, endpoint=endpoint)
    except (AccessDeniedError, EntryNotFoundError):
        return {"shown": False}
    person = casework.entry(beneficiary_id)
    structure = found["structure"] if found else person.structure
    return {
        "shown": True,
        "household": found,
        "person_id": beneficiary_id,
        "may_change": _may_change(user, casework.tenant.id, structure) and not getattr(person, "erased", False),
        "today": shown_date(casework.today()),
        "command_id": f"web-{uuid4()}",
        "relations": relations(lang),
    }


# ---------------------------------------------------------------------------------------- helpers
async def _form(request: Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.form()).items()}


def _id(text: str | None) -> UUID | None:
    try:
        return UUID(str(text))
    except ValueError:
        return None


def _household_page(
    desk: Desk, household_id: UUID, *, status: int = 200, error: str | None = None, asked: str = ""
) -> Response:
    request, tenant = desk.request, desk.tenant
    views = kentra_of(request).views(tenant)
    try:
        found = households.household(
            desk.casework, views, desk.user, household_id, endpoint="GET /t/{tenant}/households/{id}"
        )
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except EntryNotFoundError:
        return message(request, 404, "not_found")
    lang = lang_of(request)
    sealed = request.query_params.get("q")
    name = asked or (people_search.opened_search(sealed, csrf_token(request)).get("name", "") if sealed else "")
    found_people: list[dict[str, Any]] | None = None
    words = people_search.WORDS[lang]
    if name:
        try:
            found_people = households.candidates(
                desk.casework, views, desk.user, name=name, endpoint="GET /t/{tenant}/households/{id}"
            )
        except InvalidValueError:
            error = words["err_search_short"]
            status = 422
    done = request.query_params.get("done", "")
    return render(
        request,
        "household.html",
        status,
        tenant=tenant,
        tenant_name=tenant_name(request, tenant),
        hh=found,
        may_change=_may_change(desk.user, tenant, found["structure"]),
        relations=relations(lang),
        today=shown_date(desk.casework.today()),
        command_id=f"web-{uuid4()}",
        error=error,
        notice=desk.t.get(f"hh_done_{done}") if done else None,
        asked=name,
        found=found_people,
        s=words,
    )


def _recorded(
    desk: Desk, payload_type: type[c.Payload], form: dict[str, str], command: str, household_id: UUID | None
) -> DomainError | None:
    """Record the step the form describes; the refusal, if any."""
    try:
        day = parse_date(form.get("occurred_on", ""))
    except DateFormatError:
        return InvalidValueError("a date is dd/mm/yyyy", field="occurred_on")
    fields = {k: v for k, v in form.items() if k in payload_type.model_fields and v}
    try:
        payload = payload_type.model_validate({**fields, "occurred_on": day})
    except ValidationError as exc:
        first = exc.errors()[0]
        return InvalidValueError(str(first["msg"]), field=str(first["loc"][0]) if first["loc"] else None)
    key = form.get("command_id") or f"web-{uuid4()}"
    try:
        households.record_step(desk.casework, desk.user, payload, command, key, household_id=household_id)
    except DomainError as error:
        return error
    return None


def _refused(desk: Desk, error: DomainError, household_id: UUID | None) -> Response:
    if isinstance(error, AccessDeniedError):
        return message(desk.request, 403, "not_allowed")
    if isinstance(error, EntryNotFoundError):
        return message(desk.request, 404, "not_found")
    text = (
        desk.t["hh_err_date_format"] if error.field == "occurred_on" and isinstance(error, InvalidValueError) else None
    )
    text = text or desk.t[_error_key(error)]
    if household_id is None:
        t = desk.t
        return render(desk.request, "message.html", 409, heading=t["hh_heading"], message=text)
    return _household_page(
        desk, household_id, status=409 if not isinstance(error, InvalidValueError) else 422, error=text
    )


# ---------------------------------------------------------------------------------------- routes
@router.post("/t/{tenant}/households")
async def form_household(request: Request, tenant: str) -> Response:
    """Form a household with the person as its head; back to the person's page."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    form = await _form(request)
    person = _id(form.get("beneficiary_id"))
    if person is None:
        return message(request, 404, "not_found")
    refused = _recorded(desk, c.FormHouseholdFields, form, "form_household", None)
    if refused is not None:
        return _refused(desk, refused, None)
    return RedirectResponse(f"/t/{tenant}/people/{person}?done=household_formed#household", status_code=303)


@router.get("/t/{tenant}/households/{household_id}")
def household_page(request: Request, tenant: str, household_id: str) -> Response:
    """A household: its members with their relation (and a link to each), its size, and its steps."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    found = _id(household_id)
    if found is None:
        return message(request, 404, "not_found")
    return _household_page(desk, found)


@router.post("/t/{tenant}/households/{household_id}/find")
async def find_member(request: Request, tenant: str, household_id: str) -> Response:
    """Search people by name to add (or move) into this household; answered at a sealed address."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    found = _id(household_id)
    if found is None:
        return message(request, 404, "not_found")
    sealed = people_search.sealed_search({"name": (await _form(request)).get("name", "")}, csrf_token(request))
    return RedirectResponse(f"/t/{tenant}/households/{found}?" + urlencode({"q": sealed}) + "#add", status_code=303)


STEPS: dict[str, tuple[type[c.Payload], str, str]] = {
    "members": (c.HouseholdMemberFields, "add_household_member", "added"),
    "moves": (c.HouseholdMemberFields, "move_household_member", "moved"),
    "departures": (c.LeaveHouseholdFields, "leave_household", "left"),
    "head": (c.ChangeHouseholdHeadFields, "change_household_head", "head"),
}


@router.post("/t/{tenant}/households/{household_id}/{step}")
async def household_step(request: Request, tenant: str, household_id: str, step: str) -> Response:
    """A member added or moved in, a member leaving, the head changed; back to the household's page."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    found = _id(household_id)
    if found is None or step not in STEPS:
        return message(request, 404, "not_found")
    payload_type, command, done = STEPS[step]
    refused = _recorded(desk, payload_type, await _form(request), command, found)
    if refused is not None:
        return _refused(desk, refused, found)
    return RedirectResponse(f"/t/{tenant}/households/{found}?done={done}", status_code=303)


@router.post("/t/{tenant}/people/{beneficiary_id}/household/find")
async def find_household(request: Request, tenant: str, beneficiary_id: str) -> Response:
    """Search, by a member's name, the household to move the person to; answered at a sealed address."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    person = _id(beneficiary_id)
    if person is None:
        return message(request, 404, "not_found")
    sealed = people_search.sealed_search({"name": (await _form(request)).get("name", "")}, csrf_token(request))
    return RedirectResponse(f"/t/{tenant}/people/{person}/household/move?" + urlencode({"q": sealed}), status_code=303)


@router.get("/t/{tenant}/people/{beneficiary_id}/household/move")
def move_page(request: Request, tenant: str, beneficiary_id: str) -> Response:
    """Move the person to another household: found by the name of one of its members."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    person = _id(beneficiary_id)
    if person is None:
        return message(request, 404, "not_found")
    views = kentra_of(request).views(tenant)
    lang = lang_of(request)
    try:
        now = households.household_of(desk.casework, views, desk.user, person, endpoint="GET /t/{tenant}/people/{id}")
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except EntryNotFoundError:
        return message(request, 404, "not_found")
    if now is None:
        return RedirectResponse(f"/t/{tenant}/people/{person}#household", status_code=303)
    sealed = request.query_params.get("q")
    name = people_search.opened_search(sealed, csrf_token(request)).get("name", "") if sealed else ""
    words = people_search.WORDS[lang]
    found, error, status = None, None, 200
    if name:
        try:
            found = [
                p
                for p in households.candidates(
                    desk.casework, views, desk.user, name=name, endpoint="GET /t/{tenant}/people/{id}/household/move"
                )
                if p["household_id"] is not None and p["household_id"] != now["id"]
            ]
        except InvalidValueError:
            error, status = words["err_search_short"], 422
    me = next((m for m in now["members"] if m["beneficiary_id"] == person), None)
    return render(
        request,
        "household_move.html",
        status,
        tenant=tenant,
        tenant_name=tenant_name(request, tenant),
        person_id=person,
        person_name=me["name"] if me else "",
        hh=now,
        relations=relations(lang),
        today=shown_date(desk.casework.today()),
        command_id=f"web-{uuid4()}",
        asked=name,
        found=found,
        error=error,
        s=words,
    )
