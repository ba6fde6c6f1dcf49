"""What every page needs: the platform, the signed-in user, the language, a form's CSRF token, and
rendering a template.

Every form posted to the pages carries ``csrf_token``: an HMAC, with the server's token secret, of
the session it was drawn in (or, before sign-in, of a random HttpOnly cookie of the browser). A post
without the token of the caller's own session is refused (403) before the route runs, and so is any
post that the browser itself calls cross-site or same-site (``Sec-Fetch-Site``). A token rather than
an Origin check alone: behind a TLS-terminating proxy the server does not know its public origin,
and old browsers send neither header; SameSite=Strict cookies are the third, independent layer.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from starlette.templating import Jinja2Templates

from domain.errors import DomainError
from gateways.web import present
from gateways.web.labels import LABELS
from infra.bootstrap import Kentra, TenantNotProvisionedError
from infra.tokens import InvalidTokenError
from services import worklists
from services.access import Principal, Role

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
present.register(templates.env)  # dates dd/mm/yyyy, months «Ιούλ 2022», Greek labels, on every page
SESSION, LANG, PRESESSION = "kentra_session", "kentra_lang", "kentra_presession"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_UNREAD = object()  # request.state has no "user" yet


class CsrfError(Exception):
    """A posted form without the token of the caller's own session, or sent from another site."""


def kentra_of(request: Request) -> Kentra:
    kentra: Kentra = request.app.state.kentra
    return kentra


def lang_of(request: Request) -> str:
    return "en" if request.cookies.get(LANG) == "en" else "el"


def user_of(request: Request) -> Principal | None:
    """The signed-in user, read once per request (the session and the user's rights from the store)."""
    known: Principal | object | None = getattr(request.state, "user", _UNREAD)
    if known is None or isinstance(known, Principal):
        return known
    token = request.cookies.get(SESSION)
    try:
        user = kentra_of(request).sessions.principal(token) if token else None
    except InvalidTokenError:
        user = None
    request.state.user = user
    return user


def _csrf_binding(request: Request) -> str:
    """What a form's token is bound to: the session if one is open, else the browser's pre-session cookie."""
    kentra = kentra_of(request)
    token = request.cookies.get(SESSION)
    if token and user_of(request) is not None:
        return "session:" + kentra.sessions.session_id(token)
    browser = request.cookies.get(PRESESSION) or getattr(request.state, "presession", None)
    if not browser:
        browser = request.state.presession = secrets.token_urlsafe(24)
    return "browser:" + browser


def csrf_token(request: Request) -> str:
    return kentra_of(request).tokens.form_token(_csrf_binding(request))


async def csrf_protect(request: Request) -> None:
    """A dependency of every page router: an unsafe request must come from this site with its token."""
    if request.method not in UNSAFE:
        return
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise CsrfError
    given = (await request.form()).get(CSRF_FIELD)
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), csrf_token(request).encode()):
        raise CsrfError


def keep_presession(request: Request, response: Response) -> None:
    """Set the pre-session cookie a form token was just bound to, if the browser had none."""
    made = getattr(request.state, "presession", None)
    if made and not request.cookies.get(PRESESSION):
        response.set_cookie(
            PRESESSION, made, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
        )


def tenant_name(request: Request, tenant: str) -> str:
    registered = kentra_of(request).registry.tenant(tenant)
    return registered.name_el if lang_of(request) == "el" else registered.name_en


def due_today(request: Request, user: Principal | None) -> int | None:
    """The header's count of follow-ups due today or overdue, for a caseworker or coordinator (one count)."""
    if user is None or user.role not in (Role.CASEWORKER, Role.COORDINATOR) or len(user.tenants) != 1:
        return None
    kentra, tenant = kentra_of(request), next(iter(user.tenants))
    try:
        return worklists.due_today(kentra.views(tenant), user, tenant, kentra.today())
    except (
        DomainError,
        TenantNotProvisionedError,
    ):  # a tenant not provisioned yet: its pages say so, the header shows no count
        return None


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    lang, user = lang_of(request), user_of(request)
    shared = {
        "lang": lang,
        "t": LABELS[lang],
        "user": user,
        "csrf": csrf_token(request),
        "due_today": due_today(request, user),
    }
    response = templates.TemplateResponse(request, name, {**shared, **context}, status_code=status)
    keep_presession(request, response)
    return response


def message(request: Request, status: int, key: str) -> Response:
    t = LABELS[lang_of(request)]
    return render(request, "message.html", status, heading=t["title"], message=t[key])


def own_path(referer: str) -> str:
    """Where to go back to: the path (and query) of the page the user came from, never another site.

    Only a plain absolute path is kept: not ``//host`` (another site, scheme-relative), not a
    backslash (browsers read ``/\\host`` as ``//host``), nor any control character or space,
    which browsers drop before reading the URL.
    """
    parts = urlsplit(referer)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    unsafe = any(ch == "\\" or ord(ch) < 0x21 or ord(ch) == 0x7F for ch in path)
    if unsafe or not path.startswith("/") or path.startswith("//"):
        return "/"
    return path
