"""The ESF participation steps on a person's page: entering a later operation, a change of situation,
leaving, the six-month follow-up, and the corrections of a later entry, an exit and a follow-up.

Like every step (gateways/web/steps.py): a command id drawn with the form (sent twice, it records
once), the person's version (a form drawn before someone else's change is refused), dates typed
dd/mm/yyyy; a refused form records nothing, keeps what was typed and says why in Greek beside the
field. Which steps a person's operations allow, and to whom, is ``services.participation``'s to say;
the step itself is the use case the API calls (``services.recording.record``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from domain.errors import DateOrderError, DomainError, EntryNotFoundError, OutsideOperationError
from gateways.web.entries import Reader, entry_id_of, reader
from gateways.web.forms import Filled, fields_of, invalid, read, refused
from gateways.web.participation_forms import FORMS, RECORDS, current, words
from gateways.web.present import shown_date
from gateways.web.session import csrf_protect, kentra_of, lang_of, render, tenant_name
from gateways.web.steps import _REFUSALS
from services import people
from services.access import AccessDeniedError, may_record_casework
from services.participation import OperationRecord, Participation, participation_of
from services.recording import record

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
SITUATION = "situation"  # the one step of the person rather than of an operation


def _say(request: Request, status: int, key: str) -> Response:
    t = words(lang_of(request))
    return render(request, "message.html", status, t=t, heading=t["title"], message=t[key])


def _target(
    desk: Reader, text: str, step: str, operation: str | None
) -> tuple[Participation, OperationRecord | None] | Response:
    """The person's participation and the operation's record, if the caller may take the step now."""
    beneficiary_id = entry_id_of(text)
    if beneficiary_id is None or step not in FORMS:
        return _say(desk.request, 404, "not_found")
    try:
        found = participation_of(desk.casework, kentra_of(desk.request).views(desk.tenant), desk.user, beneficiary_id)
        person = desk.casework.entry(beneficiary_id)
        may_record_casework(desk.user, desk.tenant, person.structure)
    except AccessDeniedError:
        return _say(desk.request, 403, "not_allowed")
    except DomainError:  # unknown, another structure's or another tenant's: the same answer
        return _say(desk.request, 404, "not_found")
    refusal = _not_now(found, person, step, operation)
    if isinstance(refusal, str):
        status = 404 if refusal == "not_found" else 409
        return _say(desk.request, status, refusal)
    return found, refusal


def _not_now(found: Participation, person: Any, step: str, operation: str | None) -> OperationRecord | str | None:
    """The operation's record the step is on (None: the person's own step), or why it is not offered."""
    if person.voided:
        return "err_gone"
    if getattr(person, "erased", False):
        return "err_erased"
    if step == SITUATION:
        return None if found.may_change_situation else "err_not_now"
    record_of = found.record(operation or "")
    if record_of is None:
        return "not_found"
    return record_of if step in record_of.steps else "err_not_now"


def _draw(
    desk: Reader,
    *,
    beneficiary_id: UUID,
    step: str,
    record_of: OperationRecord | None,
    filled: Filled,
    key: str,
    status: int = 200,
) -> Response:
    t = words(lang_of(desk.request))
    sections = list(FORMS[step].sections)
    try:
        person = people.seen(desk.casework, desk.user, [beneficiary_id], "GET /t/{tenant}/people/{id}/esf")[0]
    except DomainError:
        person = None
    heading = "step_esf_" + step
    what = f" · {record_of.title} ({record_of.programme})" if record_of else ""
    path = f"/t/{desk.tenant}/people/{beneficiary_id}"
    return render(
        desk.request,
        "form.html",
        status,
        t={**t, heading: t[heading] + what},
        tenant=desk.tenant,
        tenant_name=tenant_name(desk.request, desk.tenant),
        sections=sections,
        field_labels={f.name: f.label for f in fields_of(sections)},
        filled=filled,
        command_id=key,
        heading=heading,
        person=person,
        action=f"{path}/{step}" if record_of is None else f"{path}/operations/{record_of.operation}/{step}",
    )


def step_form(request: Request, tenant: str, beneficiary_id: str, step: str, operation: str | None) -> Response:
    """A step's form, if the person's participation allows it now."""
    desk = reader(request, tenant)
    if isinstance(desk, Response):
        return desk
    target = _target(desk, beneficiary_id, step, operation)
    if isinstance(target, Response):
        return target
    found, record_of = target
    values = current(step, found, record_of, desk.casework.today())
    return _draw(
        desk,
        beneficiary_id=found.beneficiary_id,
        step=step,
        record_of=record_of,
        filled=Filled(values=values),
        key=f"web-{uuid4()}",
    )


def _changed(body: dict[str, Any], drawn: Mapping[str, str], prefix: str) -> dict[str, Any]:
    """The fields under ``prefix`` the user changed from what the form showed (a change of situation or
    a correction records what changes, nothing else)."""
    kept: dict[str, Any] = {}
    for name, value in (body.get(prefix) or {}).items():
        if isinstance(value, dict):
            continue
        shown = drawn.get(f"{prefix}.{name}", "")
        if (bool(shown) == value) if isinstance(value, bool) else shown == value:
            continue
        kept[name] = value
    return kept


async def take_step(request: Request, tenant: str, beneficiary_id: str, step: str, operation: str | None) -> Response:
    """Record a step through the same use case as the API; refused, the form comes back with the reason."""
    desk = reader(request, tenant)
    if isinstance(desk, Response):
        return desk
    target = _target(desk, beneficiary_id, step, operation)
    if isinstance(target, Response):
        return target
    found, record_of = target
    form = FORMS[step]
    sections = list(form.sections)
    submitted = await request.form()
    body, shown = read(sections, submitted)
    filled = Filled(values=shown)
    key = str(submitted.get("command_id") or f"web-{uuid4()}")
    t = words(lang_of(request))
    body, errors = _payload(step, body=body, found=found, record_of=record_of, today=desk.casework.today(), t=t)
    status = 422
    if not errors:
        try:
            payload = form.model.model_validate(body)
            record(desk.casework, desk.user, payload, form.command, key, beneficiary_id=found.beneficiary_id)
        except ValidationError as exc:
            errors = invalid(exc, sections, t)
        except AccessDeniedError:
            return _say(request, 403, "not_allowed")
        except EntryNotFoundError:
            return _say(request, 404, "not_found")
        except DomainError as exc:
            errors, status = _refusal(exc, step, record_of, sections, t)
    if errors:
        filled.errors = errors
        return _draw(
            desk,
            beneficiary_id=found.beneficiary_id,
            step=step,
            record_of=record_of,
            filled=filled,
            key=key,
            status=status,
        )
    return RedirectResponse(f"/t/{tenant}/people/{found.beneficiary_id}?done=esf_{step}", status_code=303)


def _payload(
    step: str,
    *,
    body: dict[str, Any],
    found: Participation,
    record_of: OperationRecord | None,
    today: date,
    t: Mapping[str, str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body as the command takes it, or the errors found before asking it: the operation comes
    from the path; a change or a correction carries only what changed (a status or a profile in full)."""
    drawn = current(step, found, record_of, today)
    if record_of is not None and step != SITUATION:
        body["operation"] = record_of.operation
    status = body.get("status") or (body.get("changes") or {}).get("status") or {}
    if status.get("job_searching") and status.get("employed"):
        name = "status.employed" if step == "exit" else "changes.status.employed"
        return body, {name: t["err_esf_searching_and_employed"]}
    if step == SITUATION:
        body["changes"] = _changed(body, drawn, "changes")
        if not body["changes"]:
            return body, {"": t["err_no_change"]}
    elif step in RECORDS:
        body["record"] = RECORDS[step]
        changes = body.get("changes") or {}
        kept: dict[str, Any] = {}
        if "occurred_on" in changes and changes["occurred_on"] != drawn.get("changes.occurred_on"):
            kept["occurred_on"] = changes["occurred_on"]
        if "status" in changes and _changed(changes, {k[8:]: v for k, v in drawn.items()}, "status"):
            kept["status"] = changes["status"]
        profile = _changed(changes, {k[8:]: v for k, v in drawn.items()}, "profile")
        if profile:  # the fields changed: the recorded profile takes them (services.casework_esf)
            kept["profile"] = profile
        body["changes"] = kept
        if not kept and not body.get("special"):
            return body, {"": t["err_no_change"]}
    return body, {}


def _refusal(
    exc: DomainError, step: str, record_of: OperationRecord | None, sections: Any, t: Mapping[str, str]
) -> tuple[dict[str, str], int]:
    """A domain refusal in this form's words: the whole step (409), or beside a field (422)."""
    for kind, label in _REFUSALS:
        if isinstance(exc, kind):
            return {"": t[label]}, 409
    if step == "follow-up" and isinstance(exc, DateOrderError) and record_of and record_of.follow_up_due:
        return {"occurred_on": t["err_esf_follow_up_early"].format(day=shown_date(record_of.follow_up_due))}, 422
    if isinstance(exc, OutsideOperationError):
        return {"changes.occurred_on" if step in RECORDS else "occurred_on": t["err_esf_not_in_operation"]}, 422
    return refused(exc, sections, t), 422


def _routes(step: str, per_operation: bool) -> tuple[Any, Any]:
    if per_operation:

        def form(request: Request, tenant: str, beneficiary_id: str, operation: str) -> Response:
            return step_form(request, tenant, beneficiary_id, step, operation)

        async def post(request: Request, tenant: str, beneficiary_id: str, operation: str) -> Response:
            return await take_step(request, tenant, beneficiary_id, step, operation)

        return form, post

    def own_form(request: Request, tenant: str, beneficiary_id: str) -> Response:
        return step_form(request, tenant, beneficiary_id, step, None)

    async def own_post(request: Request, tenant: str, beneficiary_id: str) -> Response:
        return await take_step(request, tenant, beneficiary_id, step, None)

    return own_form, own_post


for _step in FORMS:
    _each = _step != SITUATION
    _path = f"/t/{{tenant}}/people/{{beneficiary_id}}{'/operations/{operation}' if _each else ''}/{_step}"
    _form, _post = _routes(_step, _each)
    _name = "esf_" + _step.replace("-", "_")
    router.add_api_route(_path, _form, methods=["GET"], name=f"{_name}_form")
    router.add_api_route(_path, _post, methods=["POST"], name=_name)
