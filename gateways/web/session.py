"""What every page needs: the platform, the signed-in user, the language, and rendering a template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request, Response
from starlette.templating import Jinja2Templates

from gateways.web.labels import LABELS
from infra.bootstrap import Kentra
from infra.tokens import InvalidTokenError
from services.access import Principal

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
SESSION, LANG = "kentra_session", "kentra_lang"


def kentra_of(request: Request) -> Kentra:
    kentra: Kentra = request.app.state.kentra
    return kentra


def lang_of(request: Request) -> str:
    return "en" if request.cookies.get(LANG) == "en" else "el"


def user_of(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    kentra = kentra_of(request)
    try:
        return kentra.accounts.principal(kentra.tokens.subject(token))
    except InvalidTokenError:
        return None


def tenant_name(request: Request, tenant: str) -> str:
    registered = kentra_of(request).registry.tenant(tenant)
    return registered.name_el if lang_of(request) == "el" else registered.name_en


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    lang = lang_of(request)
    return templates.TemplateResponse(
        request, name, {"lang": lang, "t": LABELS[lang], "user": user_of(request), **context}, status_code=status
    )


def message(request: Request, status: int, key: str) -> Response:
    t = LABELS[lang_of(request)]
    return render(request, "message.html", status, heading=t["title"], message=t[key])
