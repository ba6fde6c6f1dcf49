"""The page of a person's case ownership: who is responsible now, how it came to be, and a form to
give the case to another worker (issue 20).

Like the other forms (gateways/web/casework.py): a command id drawn with the form, the session's CSRF
token, the form read back by its description and drawn again with what was typed and each refusal
beside its field, dates typed dd/mm/yyyy (gateways/web/present.py). The rules are the use cases'
(services/ownership.py) and services/access.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from domain.errors import DomainError, EntryNotFoundError, InvalidTransitionError, InvalidValueError
from gateways.web.casework import Desk, staff_desk
from gateways.web.forms import Field, Filled, Section, fields_of, invalid, read, refused
from gateways.web.labels import LABELS
from gateways.web.present import shown_date
from gateways.web.session import csrf_protect, lang_of, render, tenant_name
from services import commands as c
from services import ownership, people
from services.access import AccessDeniedError, sees_structure

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

# This page's own words, beside the shared ones (gateways/web/labels.py).
_WORDS: dict[str, tuple[str, str]] = {
    "responsible_heading": ("Υπεύθυνος/η της υπόθεσης", "Responsible for the case"),
    "responsible_now": ("Υπεύθυνος/η τώρα", "Responsible now"),
    "responsible_since": ("από", "since"),
    "responsible_history": ("Ιστορικό ανάθεσης", "Assignment history"),
    "assignment_date": ("Από", "From"),
    "assignment_worker": ("Εργαζόμενος/η", "Worker"),
    "assignment_structure": ("Δομή", "Structure"),
    "assignment_by": ("Ανέθεσε", "Assigned by"),
    "assignment_reason": ("Αιτιολογία", "Reason"),
    "assignment_intake": ("Εισαγωγή", "Intake"),
    "assignment_not_told": ("—", "—"),
    "give_case": ("Ανάθεση της υπόθεσης σε άλλον/η εργαζόμενο/η", "Give the case to another worker"),
    "give_worker": ("Νέος/α υπεύθυνος/η", "New responsible worker"),
    "give_structure": ("Δομή (μόνο αν αλλάζει)", "Structure (only if it changes)"),
    "give_structure_hint": (
        "Κενό: η δομή του/της κοινωνικού λειτουργού· για συντονιστή/τρια, η τρέχουσα δομή.",
        "Blank: the caseworker's own structure; for a coordinator, the current one.",
    ),
    "give_reason": ("Αιτιολογία", "Reason"),
    "give_reason_hint": (
        "Τι πρέπει να ξέρει ο/η νέος/α υπεύθυνος/η. Τη διαβάζουν η δομή που παραλαμβάνει την υπόθεση και οι "
        "συντονιστές: μη γράψετε κάτι που η νέα δομή δεν πρέπει να μάθει.",
        "What the new worker needs to know. Read by the receiving structure and by coordinators: write nothing "
        "the receiving structure must not learn.",
    ),
    "give_date": ("Ημερομηνία (ηη/μμ/εεεε)", "Date (dd/mm/yyyy)"),
    "give_save": ("Ανάθεση", "Give the case"),
    "give_not_offered": (
        "Την υπόθεση την αναθέτει ο/η υπεύθυνος/η ή συντονιστής/τρια.",
        "The case is given by the worker responsible or a coordinator.",
    ),
    "given_notice": ("Η υπόθεση ανατέθηκε.", "The case was given."),
    "handed_over": (
        "Η υπόθεση παραδόθηκε. Ο/Η νέος/α υπεύθυνος/η τη βρίσκει στις εργασίες του/της.",
        "The case was handed over. The new worker finds it in their list.",
    ),
    "role_coordinator": ("συντονιστής/τρια", "coordinator"),
    "err_not_staff": (
        "Επιλέξτε από τη λίστα έναν/μία ενεργό/ή κοινωνικό λειτουργό ή συντονιστή/τρια του δήμου.",
        "Choose from the list an active caseworker or coordinator of the municipality.",
    ),
    "err_own_structure": (
        "Ο/Η κοινωνικός λειτουργός αναλαμβάνει υποθέσεις μόνο της δικής του/της δομής.",
        "A caseworker is given cases of their own structure only.",
    ),
    "err_already_responsible": (
        "Η υπόθεση ανήκει ήδη σε αυτόν/ή τον/την εργαζόμενο/η.",
        "This worker is responsible for the case already.",
    ),
    "err_day": (
        "Δώστε την ημερομηνία ως ηη/μμ/εεεε, π.χ. 03/06/2024.",
        "Give the date as dd/mm/yyyy, e.g. 03/06/2024.",
    ),
}
WORDS = {lang: {key: pair[i] for key, pair in _WORDS.items()} for i, lang in enumerate(("el", "en"))}


def _words(request: Request) -> dict[str, str]:
    lang = lang_of(request)
    return {**LABELS[lang], **WORDS[lang]}


def _say(request: Request, status: int, key: str) -> Response:
    t = _words(request)
    return render(request, "message.html", status, t=t, heading=t["title"], message=t[key])


def sections(desk: Desk, t: Mapping[str, str]) -> list[Section]:
    """The form: whom to (staff by full name, with their structure), where if it changes, why, when."""
    structures = {s.id: s.name_el for s in desk.casework.tenant.structures}
    workers = [
        (m.username, f"{m.full_name} · {m.structure_name or t['role_coordinator']}")
        for m in ownership.staff(desk.casework, desk.user)
    ]
    return [
        Section(
            None,
            [
                Field("worker", "give_worker", "select", choices=workers, required=True),
                Field(
                    "structure",
                    "give_structure",
                    "select",
                    choices=list(structures.items()),
                    hint="give_structure_hint",
                ),
                Field("reason", "give_reason", "textarea", required=True, hint="give_reason_hint"),
                Field("occurred_on", "give_date", "date", required=True, autocomplete="off"),
            ],
        )
    ]


def _draw(
    desk: Desk,
    beneficiary_id: UUID,
    filled: Filled,
    key: str,
    *,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    request, t = desk.request, _words(desk.request)
    try:
        now = ownership.responsibility(
            desk.casework, desk.user, beneficiary_id, "GET /t/{tenant}/people/{id}/responsible"
        )
        person = people.person(desk.casework, desk.user, beneficiary_id)
    except EntryNotFoundError:
        return _say(request, 404, "not_found")
    form = sections(desk, t) if ownership.may_give(desk.casework, desk.user, now) else None
    return render(
        request,
        "responsible.html",
        status,
        t=t,
        tenant=desk.tenant,
        tenant_name=tenant_name(request, desk.tenant),
        person=person,
        now=now,
        day=shown_date,
        sections=form,
        field_labels={f.name: f.label for f in fields_of(form or [])},
        filled=filled,
        command_id=key,
        notice=notice,
        action=request.url.path,
    )


@router.get("/t/{tenant}/people/{beneficiary_id}/responsible")
def responsible_page(request: Request, tenant: str, beneficiary_id: UUID) -> Response:
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    filled = Filled(values={"occurred_on": shown_date(desk.casework.today())})
    notice = _words(request)["given_notice"] if request.query_params.get("given") else None
    return _draw(desk, beneficiary_id, filled, f"web-{uuid4()}", notice=notice)


def _refusal(exc: DomainError, form: list[Section], t: Mapping[str, str]) -> dict[str, str]:
    """This form's refusals in its own words; the others as every form says them."""
    if isinstance(exc, InvalidTransitionError) and exc.field == "worker":
        return {"worker": t["err_already_responsible"]}
    if isinstance(exc, InvalidValueError) and exc.field == "worker":
        return {"worker": t["err_not_staff"]}
    if isinstance(exc, InvalidValueError) and exc.field == "structure":
        return {"structure": t["err_own_structure"]}
    return refused(exc, form, t)


def _body(form: Mapping[str, Any], described: list[Section]) -> tuple[dict[str, Any], Filled, str]:
    body, shown = read(described, form)  # the date typed dd/mm/yyyy is read by gateways.web.present
    if form.get("expected_version"):
        body["expected_version"] = str(form["expected_version"])
    return body, Filled(values=shown), str(form.get("command_id") or f"web-{uuid4()}")


@router.post("/t/{tenant}/people/{beneficiary_id}/responsible")
async def give_case(request: Request, tenant: str, beneficiary_id: UUID) -> Response:
    """Give the case; refused, the form comes back as typed with the reasons beside the fields."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    t = _words(request)
    described = sections(desk, t)
    body, filled, key = _body(await request.form(), described)
    try:
        payload = c.AssignFields.model_validate(body)
        ownership.assign_case(desk.casework, desk.user, payload, beneficiary_id, key)
    except ValidationError as exc:
        filled.errors = invalid(exc, described, t)
        if "occurred_on" in filled.errors and filled.values.get("occurred_on"):
            filled.errors["occurred_on"] = t["err_day"]
    except AccessDeniedError:
        return _say(request, 403, "not_allowed")
    except EntryNotFoundError:
        return _say(request, 404, "not_found")
    except DomainError as exc:
        filled.errors = _refusal(exc, described, t)
    if filled.errors:
        return _draw(desk, beneficiary_id, filled, key, status=422)
    if sees_structure(desk.user, desk.casework.entry(beneficiary_id).structure):
        return RedirectResponse(f"/t/{tenant}/people/{beneficiary_id}/responsible?given=1", status_code=303)
    # Handed over to the other structure: the person is now theirs, and no page of hers names them.
    return RedirectResponse(f"/t/{tenant}/handed-over", status_code=303)


@router.get("/t/{tenant}/handed-over")
def handed_over(request: Request, tenant: str) -> Response:
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    return _say(request, 200, "handed_over")
