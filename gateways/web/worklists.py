"""The worklists page, "Οι εργασίες μου": a caseworker's or a coordinator's open cases, follow-ups due,
referrals awaiting an answer and requests pending at an agency, each filtered (a GET form), sorted,
paged and counted. The page reads the query string and calls ``services.worklists``; people's names
are opened through it, each look recorded as on the person's page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from math import ceil
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from domain.errors import DomainError
from domain.tenants import Tenant
from gateways.web.casework_forms import label
from gateways.web.session import csrf_protect, kentra_of, lang_of, message, render, tenant_name, user_of
from gateways.web.worklist_labels import PENDING_STATUSES, SUBTYPES, WORDS
from projections.queries import AGE_BUCKETS
from services import worklists as w
from services.access import AccessDeniedError, Principal, structure_scope
from services.worklists import WorkQuery

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 25
NUMBERS = ("days", "min_age", "max_age")
KEPT = ("list", "days", "structure", "subtype", "kind", "status", "worker", "recorded_by", "min_age", "max_age")


class BadNumberError(ValueError):
    """A days field that is not a whole number."""


def dmy(day: date | None) -> str:
    """A date as Greek staff write it, dd/mm/yyyy, whatever the browser's locale."""
    return f"{day:%d/%m/%Y}" if day else ""


def _number(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise BadNumberError(text)
    return int(text)


def read_query(params: Mapping[str, str]) -> tuple[str, WorkQuery, int]:
    """The list asked for, its terms and the page number, from the query string."""
    name = params.get("list") or "cases"
    numbers = {key: _number(params.get(key)) for key in NUMBERS}
    try:
        page = min(max(1, int(params.get("page") or 1)), 40_000)  # past the last page: an empty one, never an overflow
    except ValueError:
        page = 1
    query = WorkQuery(
        structure=params.get("structure") or None,
        subtype=params.get("subtype") or None,
        kind=params.get("kind") or None,
        status=params.get("status") or None,
        worker=params.get("worker") or None,
        recorded_by=params.get("recorded_by") or None,
        sort=params.get("sort") or "age",
        descending=params.get("order") != "asc",
        limit=PAGE,
        offset=(page - 1) * PAGE,
        **numbers,
    )
    return name, query, page


def link(tenant: str, params: Mapping[str, Any], **changed: Any) -> str:
    """The page's address with some terms changed (empty terms left out)."""
    merged = {k: v for k, v in {**{k: params.get(k) for k in KEPT}, **changed}.items() if v not in (None, "")}
    return f"/t/{tenant}/work?{urlencode(merged)}"


def worklist_links(tenant: str) -> Callable[..., str]:
    """The caseload's links: each count to the worklist behind it (a row's structure and who recorded)."""
    buckets = {name: (low, high) for low, high, name in AGE_BUCKETS}

    def to(row: Mapping[str, Any], what: str, bucket: str = "") -> str:
        base = {"worker": w.ALL, "structure": row["structure"], "recorded_by": row["caseworker"]}
        low, high = buckets.get(bucket, (None, None))
        table: dict[str, dict[str, Any]] = {
            "requests": {"list": "cases", "kind": "request", "min_age": low, "max_age": high},
            "awaiting_answer": {"list": "referrals", "days": 0},
            "awaiting_outcome": {"list": "cases", "kind": "referral", "status": "accepted"},
            "follow_ups": {"list": "follow_ups", "days": w.MAX_DAYS},
            "overdue": {"list": "follow_ups", "days": 0, "min_age": 1},
        }
        return link(tenant, {}, **base, **table[what])

    return to


def _staff_names(request: Request, tenant: str) -> dict[str, str]:
    return {p.username: p.display_name for p in kentra_of(request).accounts.staff(tenant)}


def _worker_choices(request: Request, tenant: str, user: Principal) -> list[tuple[str, str]]:
    """Whom the worker filter offers: a caseworker her structure's colleagues, a coordinator everyone."""
    own = structure_scope(user)
    staff = kentra_of(request).accounts.staff(tenant)
    return [(p.username, p.display_name) for p in staff if own is None or p.structure in (None, own)]


def _rows(
    name: str, page: w.WorkPage, people: dict[Any, str], staff: dict[str, str], lang: str, *, tenant: Tenant
) -> list[dict[str, Any]]:
    shown = []
    for row in page.rows:
        if name == "esf_follow_ups":  # a person and an operation, not an entry
            programme = tenant.operation(row["operation"])
            what = f"{tenant.operation_title(programme)} ({programme.name_el})"
            worker = staff.get(row["worker"] or "", row["worker"] or "")
            shown.append({**row, "name": people.get(row["beneficiary_id"]), "worker_name": worker, "what": what})
            continue
        kind = row.get("kind", "request")
        shown.append(
            {
                **row,
                "name": people.get(row["beneficiary_id"]),
                "worker_name": staff.get(row["worker"] or "", row["worker"] or ""),
                "what": label(SUBTYPES[name], row.get("subtype"), lang) if name != "cases" else "",
                "agency_label": label(SUBTYPES["referrals"], row.get("agency"), lang),
                "agency_status_label": label(type(PENDING_STATUSES[0]), row.get("agency_status"), lang),
                "href": {"request": "requests", "referral": "referrals", "home_visit": "home-visits"}.get(kind),
            }
        )
    return shown


@router.get("/t/{tenant}/work")
def work(request: Request, tenant: str) -> Response:
    """The worklists of the signed-in caseworker or coordinator."""
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    kentra, lang = kentra_of(request), lang_of(request)
    words, params = WORDS[lang], request.query_params
    context: dict[str, Any] = {"tenant": tenant, "words": words, "params": params, "dmy": dmy}
    try:
        registered = kentra.registry.tenant(tenant)
    except DomainError:
        return message(request, 404, "not_built")
    context |= {"tenant_name": tenant_name(request, tenant), "structures": registered.structures}
    casework = kentra.casework(tenant)
    try:
        name, query, number = read_query(params)
        views = kentra.views(tenant)
        shown = w.worklist(views, registered, user, name, query, today=casework.today())
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except BadNumberError:
        return render(request, "work.html", 422, error=words["bad_number"], listname="cases", **context)
    except DomainError:
        return render(request, "work.html", 422, error=words["bad_filter"], listname="cases", **context)
    totals = {
        other: shown.total
        if other == name
        else w.worklist(views, registered, user, other, _count_of(query), today=casework.today()).total
        for other in w.LISTS
    }
    people = w.names(casework, user, shown.rows, f"GET /t/{tenant}/work")
    pages = max(1, ceil(shown.total / PAGE))
    own = structure_scope(user)
    return render(
        request,
        "work.html",
        listname=name,
        shown=shown,
        totals=totals,
        rows=_rows(name, shown, people, _staff_names(request, tenant), lang, tenant=registered),
        page=number,
        pages=pages,
        link=lambda **changed: link(tenant, params, **changed),
        tab=lambda other: link(
            tenant, {"worker": params.get("worker"), "structure": params.get("structure")}, list=other
        ),
        sorts=w.SORTS[name],
        subtypes=_subtypes(name, registered, lang),
        statuses=[(s.value, getattr(s, f"label_{lang}")) for s in PENDING_STATUSES] if name == "agency" else [],
        workers=_worker_choices(request, tenant, user),
        chooses_structure=own is None,
        **context,
    )


def _subtypes(name: str, tenant: Tenant, lang: str) -> list[tuple[str, str]]:
    """What the list's "category" filter offers: the codes of its kind, or for the ESF follow-ups the
    tenant's operations."""
    if name == "esf_follow_ups":
        return [(p.period, f"{tenant.operation_title(p)} ({p.name_el})") for p in tenant.programmes]
    return [(code.value, getattr(code, f"label_{lang}")) for code in SUBTYPES[name]]


def _count_of(query: WorkQuery) -> WorkQuery:
    """The same worker and structure, each list's own days and no other filter: a tab's count."""
    return WorkQuery(structure=query.structure, worker=query.worker, limit=1)
