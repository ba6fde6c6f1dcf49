"""Every step on an entry from its page: a request's agency status, progress and closing, a
referral's answer and outcome, a visit's follow-up, and the correction (amend or void) of any entry.

Each form is drawn with a command id (sent twice, it records once) and the entry's version: a form
drawn before someone else's change is refused (``ConcurrentChangeError``) rather than overwriting
it. A refused form records nothing, keeps what was typed and says why in Greek. The steps are the
same use cases the API calls (``services.recording.record``); who may take them is theirs to say.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, cast
from uuid import uuid4

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from domain.entries import CaseEntry
from domain.errors import (
    BeneficiaryErasedError,
    ConcurrentChangeError,
    DomainError,
    EntryNotFoundError,
    EntryVoidedError,
    InvalidTransitionError,
)
from domain.referrals import OutcomeBeforeAcceptanceError
from gateways.web.casework_forms import Step, amend_sections, step_names, step_of, step_sections
from gateways.web.catalogue_forms import with_local
from gateways.web.entries import KINDS, SEGMENTS, Reader, entry_id_of, reader
from gateways.web.entries import router as entry_pages
from gateways.web.esf_submissions import warned_after
from gateways.web.forms import Filled, Section, fields_of, invalid, read, refused
from gateways.web.session import csrf_protect, lang_of, message, render, tenant_name
from services import commands as c
from services import people
from services.access import AccessDeniedError, may_record_casework
from services.recording import record
from services.timeline import about_erased, correctable, entry_of, steps_for

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
router.include_router(entry_pages)  # the entries' pages and their steps are registered together
CORRECTED = ("changes.", "personal.", "special.")  # the names of what a correction may change


def _sections(desk: Reader, kind: str, step: str, found: Step) -> list[Section]:
    if step == "amend":  # a coded field may be corrected into one of the municipality's own codes
        return with_local(amend_sections(desk.user, desk.casework.tenant, kind), desk.casework, lang_of(desk.request))
    return step_sections(found)


def _drawn(value: Any) -> str:
    """A current value as a form draws it (dates ISO, a box ticked as "on")."""
    if isinstance(value, bool):
        return "on" if value else ""
    return "" if value is None else str(value)


def _person(desk: Reader, entry: CaseEntry) -> dict[str, Any] | None:
    """Whom the step is about, for the form's heading: a look at personal data, recorded."""
    subject = entry.id if entry.KIND == "beneficiary" else getattr(entry, "beneficiary_id", None)
    if subject is None:
        return None
    try:
        return people.seen(desk.casework, desk.user, [subject], "GET /t/{tenant}/{kind}/{id}/{step}")[0]
    except DomainError:
        return None  # an auditor, or a person erased or voided: the form goes without the name


def _target(desk: Reader, segment: str, text: str, step: str) -> tuple[CaseEntry, str, Step] | Response:
    """The entry the step is on, and the step, if the caller may take it there; else the answer."""
    kind, entry_id = KINDS.get(segment), entry_id_of(text)
    found = step_of(kind, step) if kind else None
    if kind is None or entry_id is None or found is None:
        return message(desk.request, 404, "not_found")
    try:
        entry = entry_of(desk.casework, desk.user, entry_id, kind)
        may_record_casework(desk.user, desk.tenant, entry.structure)
    except AccessDeniedError:
        return message(desk.request, 403, "not_allowed")
    except DomainError:  # unknown, another structure's or another tenant's: the same answer
        return message(desk.request, 404, "not_found")
    return entry, kind, found


def _draw(desk: Reader, entry: CaseEntry, step: str, filled: Filled, *, key: str, status: int = 200) -> Response:
    kind = entry.KIND
    sections = _sections(desk, kind, step, step_of(kind, step) or Step("", c.Payload, ()))
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
        heading=f"step_{step}",
        person=_person(desk, entry),
        action=f"/t/{desk.tenant}/{SEGMENTS[kind]}/{entry.id}/{step}",
    )


def _current(desk: Reader, entry: CaseEntry, step: str) -> dict[str, str]:
    """What a new form shows: the entry's version, today, and for a correction the current values."""
    values = {"expected_version": str(entry.version), "occurred_on": desk.casework.today().isoformat()}
    if step == "amend":
        endpoint = f"GET /t/{{tenant}}/{SEGMENTS[entry.KIND]}/{{id}}/amend"
        values.update({k: _drawn(v) for k, v in correctable(desk.casework, desk.user, entry, endpoint).items()})
    return values


def step_form(request: Request, tenant: str, segment: str, entry_id: str, step: str) -> Response:
    """A step's form, if the entry's state allows it now."""
    desk = reader(request, tenant)
    if isinstance(desk, Response):
        return desk
    target = _target(desk, segment, entry_id, step)
    if isinstance(target, Response):
        return target
    entry, _, _ = target
    erased = about_erased(desk.casework, entry)
    if step not in steps_for(desk.user, tenant, entry, erased=erased):
        refusal = "err_gone" if entry.voided else "err_erased" if erased else "err_not_now"
        return message(request, 409, refusal)
    return _draw(desk, entry, step, Filled(values=_current(desk, entry, step)), key=f"web-{uuid4()}")


def _flat(body: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _only_changed(body: dict[str, Any], drawn: Mapping[str, str]) -> dict[str, Any]:
    """A correction's body with only the values the user changed: the form shows every current value,
    and a correction records what it corrects, nothing else."""
    kept: dict[str, Any] = {}
    for name, value in _flat(body).items():
        if name.startswith(CORRECTED):
            unchanged = bool(drawn.get(name)) == value if isinstance(value, bool) else drawn.get(name, "") == value
            if unchanged:
                continue
        *parents, leaf = name.split(".")
        place = kept
        for parent in parents:
            place = place.setdefault(parent, {})
        place[leaf] = value
    return kept


async def take_step(request: Request, tenant: str, segment: str, entry_id: str, step: str) -> Response:
    """Record a step through the same use case as the API; refused, the form comes back with the reason."""
    desk = reader(request, tenant)
    if isinstance(desk, Response):
        return desk
    target = _target(desk, segment, entry_id, step)
    if isinstance(target, Response):
        return target
    entry, kind, found = target
    form = await request.form()
    sections = _sections(desk, kind, step, found)
    body, shown = read(sections, form)
    filled = Filled(values=shown)
    key = str(form.get("command_id") or f"web-{uuid4()}")
    if step == "amend":
        body = _only_changed(body, _current(desk, entry, step))
    status = 422
    if step == "amend" and not any(name in body for name in ("changes", "personal", "special")):
        filled.errors[""] = desk.t["err_no_change"]
    else:
        answer = _record(desk, entry, found, body, key=key, sections=sections)
        if isinstance(answer, Response):
            return answer
        filled.errors, status = answer
    if filled.errors:
        return _draw(desk, entry, step, filled, key=key, status=status)
    warn = "&warn=esf" if warned_after(request, tenant, entry.id, step, body) else ""  # a submitted period
    return RedirectResponse(f"/t/{tenant}/{segment}/{entry.id}?done={step}{warn}", status_code=303)


def _record(
    desk: Reader, entry: CaseEntry, found: Step, body: dict[str, Any], *, key: str, sections: list[Section]
) -> tuple[dict[str, str], int] | Response:
    """Record the step; the errors to show beside the fields and the status (409 for a refusal that
    concerns the entry's state, 422 for what was typed), or the page that says no."""
    if found.target == "":
        body["entry_id"] = str(entry.id)
    ids = {found.target: entry.id} if found.target else {}
    try:
        payload = found.model.model_validate(body)
        if not isinstance(payload, c.Payload):  # every step's model is a command body
            raise TypeError(found.model)
        record(desk.casework, desk.user, payload, found.command, key, **ids)
    except ValidationError as exc:
        return invalid(exc, sections, desk.t), 422
    except AccessDeniedError:
        return message(desk.request, 403, "not_allowed")
    except EntryNotFoundError:
        return message(desk.request, 404, "not_found")
    except DomainError as exc:
        whole = _refusal(exc)
        return ({"": desk.t[whole]}, 409) if whole else (refused(exc, sections, desk.t), 422)
    return {}, 200


_REFUSALS: tuple[tuple[type[DomainError], str], ...] = (
    (ConcurrentChangeError, "err_stale"),
    (OutcomeBeforeAcceptanceError, "err_outcome_first"),
    (BeneficiaryErasedError, "err_erased"),
    (EntryVoidedError, "err_gone"),
    (InvalidTransitionError, "err_not_now"),
)


def _refusal(exc: DomainError) -> str | None:
    """The words of a refusal that concerns the whole entry rather than one field."""
    for kind, label in _REFUSALS:
        if isinstance(exc, kind):
            return label
    return None


def _bound(route: Any, step: str) -> Any:
    """A route of one step: its path names the step, so the handler is given it."""
    if inspect.iscoroutinefunction(route):

        async def post(request: Request, tenant: str, entry_id: str) -> Response:
            return cast("Response", await route(request, tenant, entry_id, step))

        return post

    def form(request: Request, tenant: str, entry_id: str) -> Response:
        return cast("Response", route(request, tenant, entry_id, step))

    return form


def _routes(segment: str) -> tuple[Any, Any]:
    def form(request: Request, tenant: str, entry_id: str, step: str) -> Response:
        return step_form(request, tenant, segment, entry_id, step)

    async def post(request: Request, tenant: str, entry_id: str, step: str) -> Response:
        return await take_step(request, tenant, segment, entry_id, step)

    form.__name__, post.__name__ = f"{segment}_step_form", f"{segment}_take_step"
    return form, post


# Each step its own path (not a ``{step}`` parameter), so that other pages under an entry, such as a
# person's ``/responsible``, are never taken for a step.
for _kind, _segment in SEGMENTS.items():
    _form, _post = _routes(_segment)
    for _step in step_names(_kind):
        _path = f"/t/{{tenant}}/{_segment}/{{entry_id}}/{_step}"
        router.add_api_route(_path, _bound(_form, _step), methods=["GET"], name=f"{_segment}_{_step}_form")
        router.add_api_route(_path, _bound(_post, _step), methods=["POST"], name=f"{_segment}_{_step}")
