"""The field app (issue 25): an installable web app that works without a connection.

Its shell (``/field/``) is the same for everyone and holds no personal data: the forms with their Greek
labels and codes, and the scripts' messages. The service worker (``/field/sw.js``, scope ``/field/``)
caches only that shell and its static files; the people she takes and what she records are kept by the
script in IndexedDB, encrypted (``static/field/``). The shell is the only page allowed a script, its own
files only (``script-src 'self'``); every other page keeps the policy without any.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from domain.catalogue import (
    ActivityKind,
    Answer,
    EmploymentStatus,
    Gender,
    HomeVisitPurpose,
    HouseholdSituation,
    Labelled,
    RequestCategory,
    ResidenceArea,
)
from gateways.web.labels_field import FIELD
from gateways.web.session import STATIC, templates

router = APIRouter(include_in_schema=False)
SCOPE = "/field/"
# The shell may run its own scripts, reach Kentra's API, register its worker and read its manifest;
# nothing else (no inline script or style, nothing from another site, never in a frame).
SHELL_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
MANIFEST: dict[str, Any] = {
    "name": "Kentra · Εργασία πεδίου",
    "short_name": "Kentra πεδίο",
    "lang": "el",
    "start_url": SCOPE,
    "scope": SCOPE,
    "display": "standalone",
    "background_color": "#ffffff",
    "theme_color": "#005a9c",
    "icons": [
        {"src": "/static/field/icon-192.png", "sizes": "192x192", "type": "image/png"},
        {"src": "/static/field/icon-512.png", "sizes": "512x512", "type": "image/png"},
    ],
}


def _options(codes: type[Labelled]) -> list[tuple[str, str]]:
    return [(str(member.value), member.label_el) for member in codes]


@router.get("/field")
def field_root() -> Response:
    return RedirectResponse(SCOPE, status_code=308)


@router.get(SCOPE)
def field_shell(request: Request) -> Response:
    """The app's shell: no session read, no personal data, so the service worker may keep it."""
    response = templates.TemplateResponse(
        request,
        "field.html",
        {
            "f": FIELD,
            # A prosecutor-ordered investigation needs the order's reference and deadline: on the pages.
            "purposes": [o for o in _options(HomeVisitPurpose) if o[0] != HomeVisitPurpose.PROSECUTOR_ORDERED.value],
            "categories": _options(RequestCategory),
            "activity_kinds": _options(ActivityKind),
            "genders": _options(Gender),
            "employment": _options(EmploymentStatus),
            "households": _options(HouseholdSituation),
            "areas": _options(ResidenceArea),
            "answers": _options(Answer),
            "isced": [(str(level), str(level)) for level in range(9)],
        },
    )
    response.headers["Content-Security-Policy"] = SHELL_POLICY
    return response


@router.get(SCOPE + "sw.js")
def service_worker() -> Response:
    """The worker from the static directory, served at the scope it controls (a worker's scope is at most
    the directory it is served from), as JavaScript, never cached by HTTP (the browser checks it)."""
    return FileResponse(
        STATIC / "field" / "sw.js",
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": SCOPE, "Content-Security-Policy": SHELL_POLICY},
    )


@router.get(SCOPE + "manifest.webmanifest")
def manifest() -> Response:
    return JSONResponse(MANIFEST, media_type="application/manifest+json")
