"""Server-rendered pages in the same application: Greek by default, an English switch, the same users.

The session is the API's own token in an HttpOnly, SameSite=Strict cookie, so a page can only be
asked for from Kentra's own pages, and the rights are read afresh on every request.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from domain.errors import DomainError
from gateways.clients import client_address
from gateways.web import dashboards, regional
from gateways.web.dashboards import dashboard_scope as _dashboard_scope
from gateways.web.dashboards import period_between as _period
from gateways.web.labels import LABELS
from gateways.web.present import optional_date
from gateways.web.session import (
    LANG,
    PRESESSION,
    SESSION,
    csrf_protect,
    kentra_of,
    lang_of,
    message,
    own_path,
    render,
    tenant_name,
    user_of,
)
from gateways.web.worklists import worklist_links
from infra.accounts import WeakPasswordError
from infra.throttle import SignInThrottledError
from services import audit, reporting
from services.access import (
    AccessDeniedError,
    Principal,
    may_audit,
    visible_tenants,
)
from services.audit import AuditScope
from services.casework import Casework

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
router.include_router(dashboards.router)  # the dashboard and its downloads: gateways/web/dashboards.py
router.include_router(regional.router)  # the Region's dashboard and its downloads: gateways/web/regional.py


@router.get("/")
def front(request: Request) -> Response:
    """The front page is the sign-in page (or, once signed in, the home page)."""
    if user_of(request) is not None:
        return RedirectResponse("/home", status_code=303)
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]) -> Response:
    kentra, t = kentra_of(request), LABELS[lang_of(request)]
    client = client_address(request)
    try:
        kentra.sign_in_throttle.check(username, client)
    except SignInThrottledError as error:
        return _throttled(request, "login.html", error)
    principal = kentra.accounts.authenticate(username, password)
    if principal is None:
        kentra.sign_in_throttle.failed(username, client)
        return render(request, "login.html", 401, error=t["bad_login"])
    response = RedirectResponse("/home", status_code=303)
    _start_session(request, response, principal)
    response.delete_cookie(PRESESSION)  # a form drawn before sign-in is not valid after it
    return response


def _throttled(request: Request, page: str, error: SignInThrottledError) -> Response:
    """429 with Retry-After, and in words how many minutes to wait (rounded up)."""
    minutes = max(1, -(-error.retry_after // 60))
    response = render(request, page, 429, error=LABELS[lang_of(request)]["too_many_logins"].format(minutes=minutes))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _start_session(request: Request, response: Response, principal: Principal) -> None:
    kentra = kentra_of(request)
    response.set_cookie(
        SESSION,
        kentra.sessions.open(principal),
        max_age=kentra.tokens.ttl_seconds,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


@router.post("/logout")
def logout(request: Request) -> Response:
    """Sign out: the session ends on the server, so a copy of the cookie stops working too."""
    token = request.cookies.get(SESSION)
    if token:
        kentra_of(request).sessions.close(token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION)
    return response


@router.get("/password")
def password_form(request: Request) -> Response:
    if user_of(request) is None:
        return RedirectResponse("/", status_code=303)
    return render(request, "password.html")


@router.post("/password")
def change_password(
    request: Request,
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    repeated: Annotated[str, Form()],
) -> Response:
    """A user's own new password: checked for strength; every other session of hers ends."""
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    kentra, t = kentra_of(request), LABELS[lang_of(request)]
    client = client_address(request)
    try:
        kentra.sign_in_throttle.check(user.username, client)
    except SignInThrottledError as error:
        return _throttled(request, "password.html", error)
    if kentra.accounts.authenticate(user.username, current) is None:
        kentra.sign_in_throttle.failed(user.username, client)
        return render(request, "password.html", 422, error=t["err_current_password"])
    if new != repeated:
        return render(request, "password.html", 422, error=t["err_password_repeat"])
    try:
        kentra.accounts.set_password(user.username, new)
    except WeakPasswordError as error:
        return render(request, "password.html", 422, error=t[f"err_password_{error.reason}"])
    response = RedirectResponse("/home", status_code=303)
    _start_session(request, response, user)  # the old session ended with the old password
    return response


@router.get("/lang/{code}")
def language(request: Request, code: str) -> Response:
    response = RedirectResponse(own_path(request.headers.get("referer", "/")), status_code=303)
    response.set_cookie(LANG, "en" if code == "en" else "el", max_age=365 * 86400, samesite="lax")
    return response


@router.get("/home")
def home(request: Request) -> Response:
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    if user.region is not None:
        return RedirectResponse(f"/r/{user.region}/dashboard", status_code=303)
    if user.role.value == "auditor":
        return render(request, "home.html", tenants=[], audited=sorted(user.tenants))
    tenants = [t for t in visible_tenants(user, kentra_of(request).registry) if user.tenants and t.id in user.tenants]
    return render(request, "home.html", tenants=tenants)


def _auditor(request: Request, tenant: str) -> tuple[Principal, Casework] | Response:
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    kentra = kentra_of(request)
    try:
        kentra.registry.tenant(tenant)
        may_audit(user, tenant)
        return user, kentra.casework(tenant)
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError:
        return message(request, 404, "not_built")


def _audit_terms(request: Request, casework: Casework) -> AuditScope:
    query = request.query_params
    as_of = query.get("as_of") or None
    first, last = _period(query.get("from"), query.get("to"))
    basis: Literal["occurred", "recorded"] = "recorded" if query.get("basis") == "recorded" else "occurred"
    return audit.audit_scope(casework, first, last, query.get("structure") or None, optional_date(as_of), basis)


@router.get("/t/{tenant}/audit")
def auditrender(request: Request, tenant: str) -> Response:
    """The auditor's page: the chain's state, a replay as of a day with its restatements, links to drill down.

    Every look is recorded as an audit query, as over the API.
    """
    checked = _auditor(request, tenant)
    if isinstance(checked, Response):
        return checked
    user, casework = checked
    kentra, lang = kentra_of(request), lang_of(request)
    context: dict[str, Any] = {
        "tenant": tenant,
        "tenant_name": tenant_name(request, tenant),
        "chain": audit.chain_report(casework, user, kentra.audit_chain(tenant)),
        "basis": request.query_params.get("basis", "occurred"),
    }
    if "from" not in request.query_params:
        first, last = _period(None, None)
        return render(request, "audit.html", start=first.isoformat(), end=last.isoformat(), **context)
    try:
        terms = _audit_terms(request, casework)
    except (ValueError, DomainError):
        return render(request, "audit.html", 422, error=LABELS[lang]["bad_period"], **context)
    replay = audit.replayed_indicators(casework, kentra.keys(casework.tenant), user, terms)
    query = urlencode({"from": terms.start, "to": terms.end, "as_of": terms.as_of, "basis": terms.basis})
    return render(
        request,
        "audit.html",
        replay=replay,
        start=terms.start.isoformat(),
        end=terms.end.isoformat(),
        as_of=terms.as_of.isoformat(),
        drill=f"/t/{tenant}/audit/drilldown?{query}",
        **context,
    )


@router.get("/t/{tenant}/audit/drilldown")
def audit_drilldown(request: Request, tenant: str, cell: str = "") -> Response:
    checked = _auditor(request, tenant)
    if isinstance(checked, Response):
        return checked
    user, casework = checked
    kentra = kentra_of(request)
    try:
        terms = _audit_terms(request, casework)
        found = audit.drilldown(casework, kentra.keys(casework.tenant), user, terms, cell, reveal=False, limit=1000)
    except (ValueError, DomainError):
        return message(request, 422, "bad_period")
    back = f"/t/{tenant}/audit?{urlencode({'from': terms.start, 'to': terms.end, 'as_of': terms.as_of})}"
    return render(
        request,
        "drilldown.html",
        found=found,
        tenant=tenant,
        back=back,
        tenant_name=tenant_name(request, tenant),
    )


@router.get("/t/{tenant}/caseload")
def caseloadrender(request: Request, tenant: str) -> Response:
    """Open work per structure and caseworker: a caseworker sees her own structure's."""
    scoped = _dashboard_scope(request, tenant, None)
    if isinstance(scoped, Response):
        return scoped
    _, chosen = scoped
    kentra = kentra_of(request)
    today = kentra.casework(tenant).today()
    return render(
        request,
        "caseload.html",
        rows=reporting.caseload(kentra.views(tenant), today, chosen),
        as_of=today,
        tenant=tenant,
        tenant_name=tenant_name(request, tenant),
        work=worklist_links(tenant),
    )
