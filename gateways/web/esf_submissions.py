"""ESF submissions in the pages: the coordinator submits a delivery; coordinators and auditors see each
submission and whether it still holds or was restated, and a restatement's changed cells and events.

The pages call ``services.esf_submissions`` and ``services.esf_restatement``; who may submit and read
is ``services.access``. Dates are typed dd/mm/yyyy; a refused form records nothing and keeps what was
typed, with the reason in Greek.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from domain.catalogue import CorrectionReason
from domain.errors import CommandIdReusedError, DomainError, OutsideOperationError, UnknownOperationError
from domain.tenants import Tenant
from gateways.esf_labels import GENDERS_EL, INDICATORS_EL
from gateways.web.present import optional_date, shown_date
from gateways.web.session import csrf_protect, kentra_of, message, render, user_of
from services import esf_submissions as submissions
from services.access import AccessDeniedError, Principal, Role, may_deliver_esf, may_read_esf_submissions
from services.esf_restatement import restatement
from services.esf_submissions import Submission

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

EVENTS_EL = {
    "Registered": "Εισαγωγή ωφελούμενου (εκπρόθεσμη καταχώριση)",
    "Amended": "Διόρθωση",
    "Voided": "Ακύρωση",
    "Erased": "Διαγραφή προσωπικών δεδομένων",
    "OperationEntered": "Είσοδος σε πράξη",
    "OperationLeft": "Αποχώρηση από πράξη",
    "LongTermResultRecorded": "Παρακολούθηση έξι μηνών",
    "OperationRecordCorrected": "Διόρθωση στοιχείων πράξης",
}
GENDERS = {**GENDERS_EL, "total": "Σύνολο"}


def cell_label(cell: str) -> str:
    """An ESF cell (``esf-2014-2020/CO02:refused/female``) in Greek: «CO02 μακροχρόνια άνεργοι · Γυναίκες»."""
    parts = cell.split("/")
    if len(parts) != 3:
        return cell
    _, key, gender = parts
    code, _, refused = key.partition(":")
    name = "Συμμετέχοντες" if code == "participants" else f"{code} {INDICATORS_EL.get(code, '')}".strip()
    if refused:
        name += " (άρνηση απάντησης)"
    return f"{name} · {GENDERS.get(gender, gender)}"


def event_label(event: str) -> str:
    return EVENTS_EL.get(event.rpartition(".")[2], event)


def reason_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        return CorrectionReason(code).label_el
    except ValueError:
        return code


def operation_label(submission: Submission | dict[str, Any]) -> str:
    """«ΟΠΣ 5002786» where the operation has a code, else its programme period."""
    code = submission["mis_code"] if isinstance(submission, dict) else submission.code
    key = submission["operation"] if isinstance(submission, dict) else submission.operation
    return f"ΟΠΣ {code}" if code else f"πράξη {key}"  # the code's name staff use (MIS in English)


def warning_text(tenant: Tenant, submission: Submission) -> str:
    """The coordinator's warning when a correction touches a submitted period."""
    return (
        f"Η διόρθωση αφορά περίοδο που έχει υποβληθεί ({operation_label(submission)}, "
        f"{shown_date(submission.period_from)}–{shown_date(submission.period_to)}): η υποβολή θα αναθεωρηθεί"
    )


def _reader(request: Request, tenant: str) -> tuple[Principal, Tenant] | Response:
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    try:
        registered = kentra_of(request).registry.tenant(tenant)
        may_read_esf_submissions(user, tenant)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError:
        return message(request, 404, "not_built")
    return user, registered


def _list_page(request: Request, user: Principal, tenant: Tenant, *, status: int = 200, **extra: Any) -> Response:
    kentra = kentra_of(request)
    casework = kentra.casework(tenant.id)
    rows = submissions.listed(casework, kentra.views(tenant.id), user)
    for row in rows:
        row["operation_el"] = operation_label(row)
    today = kentra.today()
    defaults = {"operation": (tenant.operation_on(today) or tenant.programmes[-1]).period, "submitted_on": ""}
    return render(
        request,
        "esf_submissions.html",
        status,
        tenant=tenant.id,
        tenant_name=tenant.name_el,
        rows=rows,
        may_submit=user.role is Role.COORDINATOR,
        operations=[(p, tenant.operation_title(p)) for p in tenant.programmes],
        typed=extra.pop("typed", defaults),
        command_id=extra.pop("command_id", f"web-{uuid4()}"),
        active="esf",
        **extra,
    )


@router.get("/t/{tenant}/esf/submissions")
def submissions_page(request: Request, tenant: str) -> Response:
    """Every submission, newest first, with its status; for a coordinator the form to submit one."""
    checked = _reader(request, tenant)
    if isinstance(checked, Response):
        return checked
    return _list_page(request, *checked)


def _refusal(tenant: Tenant, error: Exception, key: str) -> str:
    if isinstance(error, UnknownOperationError):
        return "Ο Δήμος δεν έχει αυτή την πράξη."
    if isinstance(error, OutsideOperationError):
        programme = tenant.operation(key)
        first, last = tenant.operation_span(programme)
        span = f"{shown_date(first) if first else 'χωρίς ορισμένη αρχή'} – {shown_date(last) if last else 'σε εξέλιξη'}"
        return (
            f"Η περίοδος δεν είναι ολόκληρη μέσα στην πράξη {programme.code or programme.period}, που διαρκεί {span}."
        )
    if isinstance(error, CommandIdReusedError):
        return "Η φόρμα στάλθηκε ήδη με άλλα στοιχεία: ανοίξτε τη σελίδα ξανά."
    field = getattr(error, "field", "")
    if field == "submitted_on":
        return "Η ημερομηνία υποβολής δεν μπορεί να είναι μελλοντική ούτε πριν από το τέλος της περιόδου."
    return "Η περίοδος δεν είναι έγκυρη: γράψτε ημερομηνίες ηη/μμ/εεεε, με το «Έως» όχι πριν από το «Από»."


@router.post("/t/{tenant}/esf/submissions")
async def submit_page(request: Request, tenant: str) -> Response:
    """Record a submission of the form's operation and period; refused, the form comes back as typed."""
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    kentra = kentra_of(request)
    try:
        registered = kentra.registry.tenant(tenant)
        may_deliver_esf(user, tenant)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError:
        return message(request, 404, "not_built")
    form = await request.form()
    typed = {k: str(form.get(k) or "").strip() for k in ("operation", "from", "to", "submitted_on", "reference")}
    key = str(form.get("command_id") or f"web-{uuid4()}")
    try:
        start, end = _required(typed["from"]), _required(typed["to"])
        submission_id = submissions.submit_as(
            kentra.casework(tenant),
            kentra.views(tenant),
            user,
            operation=typed["operation"],
            start=start,
            end=end,
            submitted_on=optional_date(typed["submitted_on"]),
            reference=typed["reference"][:64] or None,
            command_id=key,
        )
    except (ValueError, DomainError) as error:
        return _list_page(
            request,
            user,
            registered,
            status=422,
            error=_refusal(registered, error, typed["operation"]),
            typed=typed,
            command_id=key,
        )
    return RedirectResponse(f"/t/{tenant}/esf/submissions/{submission_id}?done=submitted", status_code=303)


def _required(text: str) -> date:
    day = optional_date(text)
    if day is None:
        raise ValueError("a date is required")
    return day


@router.get("/t/{tenant}/esf/submissions/{submission_id}")
def restatement_page(request: Request, tenant: str, submission_id: str) -> Response:
    """A submission: what was delivered, whether it holds, and each changed cell with the events behind it."""
    checked = _reader(request, tenant)
    if isinstance(checked, Response):
        return checked
    user, registered = checked
    kentra = kentra_of(request)
    try:
        report = restatement(
            kentra.casework(tenant), UUID(submission_id), user=user, pseudonym=kentra.keys(registered).pseudonym
        )
    except (ValueError, DomainError):
        return message(request, 404, "not_found")
    for change in report["changes"]:
        change["label"] = cell_label(change["cell"])
        for event in change["events"]:
            event["label"] = event_label(event["event"])
            event["reason_el"] = reason_label(event["reason"])
    head = report["submission"]
    return render(
        request,
        "esf_submission.html",
        tenant=tenant,
        tenant_name=registered.name_el,
        report=report,
        head=head,
        operation_el=operation_label(head),
        notice="Η υποβολή καταχωρίστηκε." if request.query_params.get("done") == "submitted" else None,
        active="esf",
    )


def delivery_notes(request: Request, tenant: Tenant, operation: str, start: date, end: date) -> dict[str, Any]:
    """What the delivery page adds (gateways/web/esf.py): the submit form's terms and the warnings of
    this operation's submissions that corrections have restated since."""
    kentra = kentra_of(request)
    casework = kentra.casework(tenant.id)
    programme = tenant.operation(operation)
    warnings = []
    for submission in submissions.recorded(casework):
        if submission.operation != programme.period:
            continue
        now, _ = submissions.delivery_figures(
            kentra.views(tenant.id), submission.operation, submission.period_from, submission.period_to
        )
        if submissions.changed_cells(submission, now):
            warnings.append((warning_text(tenant, submission), f"/t/{tenant.id}/esf/submissions/{submission.id}"))
    return {
        "submission_warnings": warnings,
        "submit_terms": {
            "operation": programme.period,
            "from": shown_date(start),
            "to": shown_date(end),
            "submitted_on": "",
            "reference": "",
        },
        "submit_operations": [(p, tenant.operation_title(p)) for p in tenant.programmes],
        "submit_command_id": f"web-{uuid4()}",
    }


def correction_notice(request: Request, tenant: str, entry_id: UUID) -> list[str]:
    """After a correction recorded through the pages that touches a submitted period (the entry's page,
    ``?done=amend&warn=esf``): the warnings, from the person's dates alone (no replay)."""
    casework = kentra_of(request).casework(tenant)
    return [warning_text(casework.tenant, s) for s in submissions.touched(casework, entry_id)]


def warned_after(request: Request, tenant: str, entry_id: UUID, step: str, body: dict[str, Any]) -> bool:
    """Whether a correction just recorded through the pages touches a submitted period (an amendment
    of contact details only moves no figure)."""
    if step not in ("amend", "void"):
        return False
    personal = set(body.get("personal") or {})
    if step == "amend" and not body.get("changes") and not body.get("special") and personal <= submissions.FIGURE_FREE:
        return False
    return bool(submissions.touched(kentra_of(request).casework(tenant), entry_id))
