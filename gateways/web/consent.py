"""Pages: Information given to a person (GDPR Art. 13) and their consents,
with withdrawal (issue 23).

The section "Ενημέρωση και συναίνεση" of a person's page (person_consent.html) is drawn from
``privacy_section``, a template global, so the person's page (gateways/web/entries.py) needs no change
to carry it. Its forms post here; a refusal draws the section again on a page of its own with what
was typed and each error beside its field, a success goes back to the person's page. Like the other
forms: a command id drawn with the form, the session's CSRF token, dates typed dd/mm/yyyy. Who may
read and record is ``services.access``'s (``services.consent``, ``services.recording``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError

from domain.catalogue import Agency
from domain.consent import ConsentMethod, ConsentPurpose, ConsentWithdrawnError, UnknownNoticeError
from domain.errors import DomainError, EntryNotFoundError, InvalidValueError
from domain.tenants import Tenant
from gateways.web.casework import staff_desk
from gateways.web.forms import Field, Filled, Section, invalid, read, refused
from gateways.web.labels import LABELS
from gateways.web.present import shown_date, typed_date
from gateways.web.session import csrf_protect, kentra_of, lang_of, message, render, templates, tenant_name, user_of
from services import commands as c
from services import consent
from services.access import AccessDeniedError, may_record_casework
from services.recording import record

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


# ---------------------------------------------------------------------------------------- the forms
def information_fields(tenant: Tenant) -> list[Field]:
    notices = [(n.version, f"{n.version} ({shown_date(n.from_)})") for n in tenant.privacy_notices]
    return [
        Field("occurred_on", "consent_informed_on", "date", required=True),
        Field("notice_version", "consent_notice", "select", choices=notices, required=True),
    ]


CONSENT_FIELDS = [
    Field("purpose", "consent_purpose", "select", ConsentPurpose, required=True),
    Field("agency", "consent_agency", "select", Agency, hint="consent_agency_hint"),
    Field("given_as", "consent_given_as", "select", ConsentMethod, required=True),
    Field("occurred_on", "consent_given_on", "date", required=True),
]
WITHDRAWAL_FIELDS = [Field("occurred_on", "consent_withdrawn_on", "date", required=True)]


def _refusal(exc: DomainError, fields: Sequence[Field], t: Mapping[str, str]) -> dict[str, str]:
    """A refusal in words beside its field: this area's errors first, then the shared ones."""
    if isinstance(exc, UnknownNoticeError) or exc.field == "notice_version":
        return {"notice_version": t["err_notice"]}
    if isinstance(exc, ConsentWithdrawnError):
        return {"": t["err_consent_withdrawn"]}
    if isinstance(exc, InvalidValueError) and exc.field == "agency":
        return {"agency": t["err_consent_agency"]}
    return refused(exc, [Section(None, fields)], t)


# ---------------------------------------------------------------------------------------- the section
def _label(code: str | None, catalogue: type[Any], lang: str) -> str:
    if code is None:
        return "—"
    try:
        return str(getattr(catalogue(code), f"label_{lang}"))
    except ValueError:
        return code


def privacy_section(
    request: Request,
    tenant: str,
    beneficiary_id: Any,
    filled: Mapping[str, Filled] | None = None,
    endpoint: str | None = None,
) -> dict[str, Any] | None:
    """What the section shows the signed-in caller: None where she may not see the person at all,
    ``{"hidden": True}`` where she sees the record but not its personal data (an uncleared auditor).
    The look is recorded under ``endpoint``; None on the person's page, which recorded it already."""
    user = user_of(request)
    if user is None:
        return None
    casework = kentra_of(request).casework(tenant)
    try:
        shown = consent.privacy_of(casework, user, UUID(str(beneficiary_id)), endpoint)
    except AccessDeniedError:
        return {"hidden": True}
    except (DomainError, ValueError):
        return None
    try:
        may_record_casework(user, tenant, shown.structure)
        may_record = not shown.erased
    except AccessDeniedError:
        may_record = False
    lang, today = lang_of(request), typed_date(casework.today())
    current = shown.current_notice.version if shown.current_notice else ""
    forms = dict(filled or {})
    forms.setdefault("information", Filled(values={"occurred_on": today, "notice_version": current}))
    forms.setdefault("consent", Filled(values={"occurred_on": today}))
    return {
        "hidden": False,
        "id": shown.beneficiary_id,
        "erased": shown.erased,
        "informed": [
            {
                "on": shown_date(i.on),
                "version": i.notice_version,
                "current": i.notice_version == current,
            }
            for i in shown.informed
        ],
        "consents": [
            {
                "id": str(x.consent_id),
                "purpose": _label(x.purpose, ConsentPurpose, lang),
                "agency": _label(x.agency, Agency, lang),
                "given_as": _label(x.given_as, ConsentMethod, lang),
                "given_on": shown_date(x.given_on),
                "withdrawn_on": shown_date(x.withdrawn_on) if x.withdrawn_on else None,
                "active": x.active,
                "withdrawal": forms.get(f"withdrawal:{x.consent_id}") or Filled(values={"occurred_on": today}),
            }
            for x in shown.consents
        ],
        "may_record": may_record,
        "information_fields": information_fields(casework.tenant),
        "consent_fields": CONSENT_FIELDS,
        "withdrawal_fields": WITHDRAWAL_FIELDS,
        "forms": forms,
        "key": f"web-{uuid4()}",
    }


templates.env.globals["privacy_section"] = privacy_section


# ---------------------------------------------------------------------------------------- the pages
def _page(request: Request, tenant: str, beneficiary_id: UUID, status: int, filled: Mapping[str, Filled]) -> Response:
    section = privacy_section(request, tenant, beneficiary_id, filled, "GET /t/{tenant}/people/{id}/consent")
    if section is None or section["hidden"]:
        return message(request, 404, "not_found")
    return render(
        request,
        "consent.html",
        status,
        tenant=tenant,
        tenant_name=tenant_name(request, tenant),
        privacy=section,
    )


@router.get("/t/{tenant}/people/{beneficiary_id}/consent")
def consent_page(request: Request, tenant: str, beneficiary_id: UUID) -> Response:
    """The section on a page of its own (where a refused form is drawn again)."""
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    return _page(request, tenant, beneficiary_id, 200, {})


async def _post(
    request: Request,
    tenant: str,
    beneficiary_id: UUID,
    *,
    form_name: str,
    fields: Sequence[Field],
    model: type[BaseModel],
    command: str,
    done: str,
    **ids: UUID,
) -> Response:
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    form = await request.form()
    body, shown = read([Section(None, fields)], form)
    filled = Filled(values=shown)
    t = LABELS[lang_of(request)]
    try:
        payload = model.model_validate(body)
        if not isinstance(payload, c.Payload):
            raise TypeError(model)
        key = str(form.get("command_id") or f"web-{uuid4()}")
        record(desk.casework, desk.user, payload, command, key, beneficiary_id=beneficiary_id, **ids)
    except ValidationError as exc:
        filled.errors = invalid(exc, [Section(None, fields)], t)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except EntryNotFoundError as exc:
        if exc.entry_id == beneficiary_id:
            return message(request, 404, "not_found")
        filled.errors = _refusal(exc, fields, t)
    except DomainError as exc:
        filled.errors = _refusal(exc, fields, t)
    if filled.errors:
        return _page(request, tenant, beneficiary_id, 422, {form_name: filled})
    return RedirectResponse(f"/t/{tenant}/people/{beneficiary_id}?done={done}#consent", status_code=303)


@router.post("/t/{tenant}/people/{beneficiary_id}/information")
async def record_information(request: Request, tenant: str, beneficiary_id: UUID) -> Response:
    desk = staff_desk(request, tenant)
    if isinstance(desk, Response):
        return desk
    fields = information_fields(desk.casework.tenant)
    return await _post(
        request,
        tenant,
        beneficiary_id,
        form_name="information",
        fields=fields,
        model=c.InformationFields,
        command="record_information",
        done="information",
    )


@router.post("/t/{tenant}/people/{beneficiary_id}/consents")
async def give_consent(request: Request, tenant: str, beneficiary_id: UUID) -> Response:
    return await _post(
        request,
        tenant,
        beneficiary_id,
        form_name="consent",
        fields=CONSENT_FIELDS,
        model=c.ConsentFields,
        command="give_consent",
        done="consent",
    )


@router.post("/t/{tenant}/people/{beneficiary_id}/consents/{consent_id}/withdrawal")
async def withdraw_consent(request: Request, tenant: str, beneficiary_id: UUID, consent_id: UUID) -> Response:
    return await _post(
        request,
        tenant,
        beneficiary_id,
        form_name=f"withdrawal:{consent_id}",
        fields=WITHDRAWAL_FIELDS,
        model=c.WithdrawalFields,
        command="withdraw_consent",
        done="withdrawal",
        consent_id=consent_id,
    )
