"""Pages: A municipality's own catalogue: local request categories, agencies, activity kinds and
visit purposes, each mapped to a national code (issue 23).

``/t/<tenant>/catalogue`` lists the entries by kind, with the national code each counts under and
whether it is retired; a coordinator adds entries and retires them there (CSRF-protected forms, like
every form of the pages). The tenant's staff and auditors read it; the rules are services/access.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import uuid4

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from domain.errors import DomainError, InvalidTransitionError
from domain.local_catalogue import KINDS, LocalCodeError
from gateways.web.forms import Field, Filled, Section, fields_of, invalid, read, refused
from gateways.web.labels import LABELS
from gateways.web.session import csrf_protect, kentra_of, lang_of, message, render, tenant_name, user_of
from services import casework_catalogue as catalogue
from services import commands as c
from services.access import AccessDeniedError, may_manage_catalogue
from services.casework import Casework

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def sections(lang: str) -> list[Section]:
    """The add form: the kind, the code, both labels and the national code it counts under."""
    kinds = [(kind, f"catalogue_kind_{kind}") for kind in KINDS]
    national = [
        (member.value, f"{getattr(member, f'label_{lang}')} · {kind}")
        for kind, labels in KINDS.items()
        for member in labels
    ]
    return [
        Section(
            None,
            [
                Field("kind", "catalogue_kind", "select", choices=kinds, required=True),
                Field("code", "catalogue_code", required=True, hint="catalogue_code_hint", autocomplete="off"),
                Field("label_el", "catalogue_label_el", required=True, autocomplete="off"),
                Field("label_en", "catalogue_label_en", required=True, autocomplete="off"),
                Field("national", "catalogue_national", "select", choices=national, required=True),
            ],
            hint="catalogue_national_hint",
        )
    ]


def _casework(request: Request, tenant: str) -> Casework | Response:
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    kentra = kentra_of(request)
    try:
        kentra.registry.tenant(tenant)
    except DomainError:
        return message(request, 404, "not_found")
    return kentra.casework(tenant)


def _page(
    request: Request, casework: Casework, filled: Filled, status: int = 200, notice: str | None = None
) -> Response:
    user = user_of(request)
    assert user is not None  # signed in: checked by _casework
    lang = lang_of(request)
    entries = catalogue.local_entries(casework, user)  # refused (403) for who may not read it
    try:
        may_manage_catalogue(user, casework.tenant.id)
        manages = True
    except AccessDeniedError:
        manages = False
    form = sections(lang)
    by_kind = {
        kind: [
            {
                "code": e.code,
                "label": e.label(lang),
                "other_label": e.label("el" if lang == "en" else "en"),
                "national": str(getattr(KINDS[kind](e.national), f"label_{lang}")),
                "national_code": e.national,
                "added_on": e.added_on,
                "retired_on": e.retired_on,
                "active": e.active,
            }
            for e in entries
            if e.kind == kind
        ]
        for kind in KINDS
    }
    return render(
        request,
        "catalogue.html",
        status,
        tenant=casework.tenant.id,
        tenant_name=tenant_name(request, casework.tenant.id),
        by_kind=by_kind,
        manages=manages,
        sections=form if manages else [],
        field_labels={f.name: f.label for f in fields_of(form)},
        filled=filled,
        command_id=f"web-{uuid4()}",
        notice=notice,
    )


@router.get("/t/{tenant}/catalogue")
def catalogue_page(request: Request, tenant: str) -> Response:
    """The municipality's own entries by kind; the add form and retire buttons for its coordinators."""
    casework = _casework(request, tenant)
    if isinstance(casework, Response):
        return casework
    done = request.query_params.get("done")
    notice_key = {"added": "catalogue_added", "retired": "catalogue_retired_notice"}.get(done or "")
    try:
        t = _words(request)
        return _page(request, casework, Filled(), notice=t[notice_key] if notice_key else None)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")


def _words(request: Request) -> Mapping[str, str]:
    return LABELS[lang_of(request)]


@router.post("/t/{tenant}/catalogue")
async def add_entry(request: Request, tenant: str) -> Response:
    casework = _casework(request, tenant)
    if isinstance(casework, Response):
        return casework
    user = user_of(request)
    assert user is not None
    form_sections = sections(lang_of(request))
    form = await request.form()
    body, shown = read(form_sections, form)
    filled = Filled(values=shown)
    t = _words(request)
    try:
        payload = c.LocalEntryFields.model_validate(body)
        catalogue.manage(casework, user, payload, "add_local_entry", str(form.get("command_id") or "") or None)
    except ValidationError as exc:
        filled.errors = invalid(exc, form_sections, t)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError as exc:
        filled.errors = _refused(exc, form_sections, t)
    if filled.errors:
        try:
            return _page(request, casework, filled, 422)
        except AccessDeniedError:
            return message(request, 403, "not_allowed")
    return RedirectResponse(f"/t/{tenant}/catalogue?done=added", status_code=303)


def _refused(exc: DomainError, form_sections: list[Section], t: Mapping[str, str]) -> dict[str, str]:
    """A refusal beside its field, in the page's words (the domain's message is for the API)."""
    if isinstance(exc, LocalCodeError) and exc.field == "code":
        return {"code": t["err_local_code"]}
    if exc.field == "national":
        return {"national": t["err_national_kind"]}
    return refused(exc, form_sections, t)


@router.post("/t/{tenant}/catalogue/retire")
async def retire_entry(request: Request, tenant: str) -> Response:
    casework = _casework(request, tenant)
    if isinstance(casework, Response):
        return casework
    user = user_of(request)
    assert user is not None
    form = await request.form()
    try:
        ref = c.LocalEntryRef.model_validate({"kind": form.get("kind"), "code": form.get("code")})
        catalogue.manage(casework, user, ref, "retire_local_entry", str(form.get("command_id") or "") or None)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except (ValidationError, InvalidTransitionError, DomainError):
        return message(request, 422, "err_value")
    return RedirectResponse(f"/t/{tenant}/catalogue?done=retired", status_code=303)
