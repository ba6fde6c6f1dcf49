"""The coordinator's ESF delivery page (Παραδοτέα ΕΚΤ): an operation's indicator table and participant
file, each a download.

The page opens on the operation of today (else the latest one) and, within it, the current year to
today; for an operation that has ended, its last year. A period is typed dd/mm/yyyy. A period not
wholly inside the operation is refused with the operation's dates, in Greek, and what was typed stays.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from domain.errors import DomainError, OutsideOperationError, UnknownOperationError
from domain.tenants import Programme, Tenant
from gateways import esf_files
from gateways.esf_labels import GENDERS_EL, KINDS_EL, indicator_label
from gateways.web.esf_submissions import delivery_notes
from gateways.web.present import optional_date, shown_date
from gateways.web.session import csrf_protect, kentra_of, message, render, user_of
from services import esf
from services.access import AccessDeniedError, may_deliver_esf

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def default_operation(tenant: Tenant, today: date) -> Programme:
    """The operation today belongs to; else the latest one."""
    return tenant.operation_on(today) or max(tenant.programmes, key=lambda p: p.period)


def default_period(tenant: Tenant, programme: Programme, today: date) -> tuple[date, date]:
    """The current year to today, within the operation; for an operation that has ended, its last year."""
    first, last = tenant.operation_span(programme)
    end = today if last is None or last >= today else last
    start = end.replace(month=1, day=1)
    return (max(start, first) if first else start), end


def _span(tenant: Tenant, programme: Programme) -> str:
    first, last = tenant.operation_span(programme)
    return f"{shown_date(first) if first else 'χωρίς ορισμένη αρχή'} – {shown_date(last) if last else 'σε εξέλιξη'}"


def _refusal(tenant: Tenant, error: Exception, key: str) -> str:
    """What was wrong with the form, in Greek (the services' messages are in English, for programs)."""
    if isinstance(error, UnknownOperationError):
        return "Ο Δήμος δεν έχει αυτή την πράξη."
    if isinstance(error, OutsideOperationError):
        programme = tenant.operation(key)
        return (
            "Η περίοδος δεν είναι ολόκληρη μέσα στην πράξη "
            f"{programme.code or programme.period}, που διαρκεί {_span(tenant, programme)}."
        )
    return "Η περίοδος δεν είναι έγκυρη: γράψτε ημερομηνίες ηη/μμ/εεεε, με το «Έως» όχι πριν από το «Από»."


def _allowed(request: Request, tenant: str) -> Tenant | Response:
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    try:
        registered = kentra_of(request).registry.tenant(tenant)
        may_deliver_esf(user, tenant)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError:
        return message(request, 404, "not_built")
    return registered


def _asked(request: Request, tenant: Tenant) -> tuple[str, date, date, str | None]:
    """The operation, period and structure asked for, or the defaults (raises ValueError/DomainError)."""
    query, today = request.query_params, kentra_of(request).today()
    key = query.get("operation") or default_operation(tenant, today).period
    programme = tenant.operation(key)
    first, last = default_period(tenant, programme, today)
    start, end = optional_date(query.get("from")) or first, optional_date(query.get("to")) or last
    structure = query.get("structure") or None
    if structure is not None:
        tenant.structure(structure)
    return key, start, end, structure


def _rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**entry, "label_el": indicator_label(entry), "kind_el": KINDS_EL.get(entry.get("kind", ""), "")}
        for entry in doc["indicators"]
    ]


@router.get("/t/{tenant}/esf")
def esf_page(request: Request, tenant: str) -> Response:
    """The form (operation, period, structure), the indicator table, and the downloads."""
    allowed = _allowed(request, tenant)
    if isinstance(allowed, Response):
        return allowed
    registered, query = allowed, request.query_params
    context: dict[str, Any] = {
        "tenant": tenant,
        "tenant_name": registered.name_el,
        "operations": [(p, registered.operation_title(p), _span(registered, p)) for p in registered.programmes],
        "structures": registered.structures,
        "genders": GENDERS_EL,
        "active": "esf",
    }
    try:
        key, start, end, structure = _asked(request, registered)
        doc = esf.delivery(
            kentra_of(request).views(tenant),
            registered,
            key,
            start,
            end,
            keys=kentra_of(request).keys(registered),
            structure=structure,
        )
    except (ValueError, DomainError) as error:
        typed = {k: query.get(k, "") for k in ("operation", "from", "to", "structure")}
        return render(
            request, "esf.html", 422, error=_refusal(registered, error, typed["operation"]), typed=typed, **context
        )
    asked = {
        "operation": key,
        "from": start.isoformat(),
        "to": end.isoformat(),
        **({"structure": structure} if structure else {}),
    }
    downloads = [
        (fmt, part, f"/t/{tenant}/esf/download?{urlencode({**asked, 'format': fmt, 'part': part})}")
        for fmt in ("xlsx", "csv")
        for part in esf_files.PARTS
    ]
    typed = {"operation": key, "from": shown_date(start), "to": shown_date(end), "structure": structure or ""}
    notes = delivery_notes(request, registered, key, start, end)  # submitting, and what corrections restated
    return render(request, "esf.html", doc=doc, rows=_rows(doc), downloads=downloads, typed=typed, **notes, **context)


@router.get("/t/{tenant}/esf/download")
def esf_download(request: Request, tenant: str, format: str = "xlsx", part: str | None = None) -> Response:
    """One part (or, for XLSX without a part, both) of the delivery as a file."""
    allowed = _allowed(request, tenant)
    if isinstance(allowed, Response):
        return allowed
    if format not in ("xlsx", "csv") or part not in (None, *esf_files.PARTS):
        return message(request, 422, "bad_period")
    try:
        key, start, end, structure = _asked(request, allowed)
        kentra = kentra_of(request)
        doc = esf.delivery(
            kentra.views(tenant), allowed, key, start, end, keys=kentra.keys(allowed), structure=structure
        )
    except (ValueError, DomainError):
        return message(request, 422, "bad_period")
    return esf_files.download(doc, format, part)
