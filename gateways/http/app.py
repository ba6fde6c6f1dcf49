"""The FastAPI application. Built by create_app from a running platform; nothing at import time."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.formparsers import MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateways.http import (
    activities,
    audit,
    auth,
    beneficiaries,
    catalogue,
    consent,
    corrections,
    documents,
    esf,
    esf_submissions,
    field,
    home_visits,
    households,
    imports,
    ownership,
    participation,
    privacy,
    problems,
    referrals,
    regions,
    reporting,
    requests,
    tenants,
    worklists,
)
from gateways.import_jobs import jobs_beside
from gateways.observability import Metrics, Observe, answer, database_check
from gateways.web import casework as web_casework
from gateways.web import catalogue as web_catalogue
from gateways.web import consent as web_consent
from gateways.web import documents as web_documents
from gateways.web import esf as web_esf
from gateways.web import esf_submissions as web_esf_submissions
from gateways.web import field as web_field
from gateways.web import households as web_households
from gateways.web import ownership as web_ownership
from gateways.web import pages, session
from gateways.web import participation as web_participation
from gateways.web import steps as web_entries
from gateways.web import worklists as web_worklists
from gateways.web.session import CsrfError
from infra.bootstrap import Kentra
from services.answers import ANSWERS

DESCRIPTION = """Casework of the Community Centres (Κέντρα Κοινότητας), per municipality.

Sign in at `/api/v1/auth/token`, then send `Authorization: Bearer <token>`. Every POST takes an
`Idempotency-Key` header: a retry with the same key returns the first response and records nothing
new. Errors are `application/problem+json` (RFC 9457) and name the field at fault."""


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, limit: int, uploads: int | None = None, documents: int | None = None) -> None:
        self.app = app
        self.default = limit
        self.uploads = uploads or limit
        self.documents = documents or limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Import files may be large; every other body is small.
        path = str(scope.get("path", ""))
        limit = self.uploads if path.endswith("/imports") else self.default
        if path.endswith("/documents"):  # a document's upload (API and page), issue 23: documents
            limit = self.documents
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await problems.problem(413, "Request too large", f"bodies are limited to {limit} bytes")(
                scope, receive, send
            )
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLargeError
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLargeError:
            await problems.problem(413, "Request too large", f"bodies are limited to {limit} bytes")(
                scope, receive, send
            )


# What a document's form adds to its file: the other fields and the multipart boundaries.
MULTIPART_ALLOWANCE = 64 * 1024


def keep_documents_in_memory(limit: int) -> None:
    """Starlette spools a multipart file part over ``spool_max_size`` (1 MiB) to a temporary file until
    the request ends: a document's clear bytes would sit on the pod's disk. A document's body is bounded
    by ``BodyLimit`` (its limit plus the form), so its parts are kept in memory up to that: never on disk.
    Process-wide (the parser's class attribute; FastAPI makes the parser itself), never lowered."""
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, limit)


class BodyTooLargeError(Exception):
    pass


# No script at all, styles only from /static, images from here or data: (the charts), forms only to
# this site, never in a frame. The API's JSON answers carry it too: it costs nothing there.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SWAGGER = "https://cdn.jsdelivr.net"  # where FastAPI's /docs loads Swagger UI from


class SecurityHeaders:
    """ASGI middleware: CSP, nosniff, a referrer policy, and no-store on everything but /static.

    Pages and API answers carry personal data; no shared or browser cache may keep them. A route
    that set its own Content-Security-Policy (the interactive docs) keeps it. An unexpected error
    is answered here, with the same headers, by the problem the app's handler gives: Starlette's
    ServerErrorMiddleware, which would answer it otherwise, sits outside every middleware (the error
    goes on to it, so it is still logged as before, and it sends nothing once an answer has started).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", PAGE_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if not started:
                await problems.internal_error()(scope, receive, sending)
            raise


def _with_own_policy(page: HTMLResponse) -> HTMLResponse:
    """Swagger UI's page with a CSP that allows exactly its inline scripts (by hash) and its CDN."""
    scripts = re.findall(rb"<script>(.*?)</script>", page.body, re.DOTALL)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in scripts)
    page.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src {SWAGGER} {hashes}; style-src {SWAGGER}; img-src 'self' data: {SWAGGER}; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return page


REDIRECT = "/docs/oauth2-redirect"
TOKEN_EXAMPLE = {"username": "m.georgiou", "password": "a long passphrase of hers", "grant_type": "password"}


def operation_id(route: APIRoute) -> str:
    """An endpoint's operation id is its function's name (``open_request``): each says what it does,
    and ``tests/e2e/test_api.py`` checks that no two are the same."""
    return route.name


def create_app(kentra: Kentra, *, jobs: bool = True, owns_platform: bool = False) -> FastAPI:
    """The app over ``kentra``; with ``jobs``, import jobs run in a thread beside it (unless the settings
    say a jobs Deployment runs them); with ``owns_platform``, the platform is closed when the app stops
    (an API process of ``kentra serve --workers N``, gateways/http/server.py)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Blocking endpoints run in worker threads; as many at once as the connection pools allow.
        anyio.to_thread.current_default_thread_limiter().total_tokens = kentra.settings.http_threads
        try:
            if jobs:
                with jobs_beside(kentra) as app.state.job_worker:  # the imports, unless a jobs Deployment runs them
                    yield
            else:
                app.state.job_worker = None  # run once, by the supervisor of the processes (gateways/cli/serve.py)
                yield
        finally:
            if owns_platform:
                kentra.close()

    app = FastAPI(
        title="Kentra",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.kentra = kentra
    ANSWERS.resize(kentra.settings.answer_cache_entries)  # issue 24: indicators kept by log position
    problems.install(app)
    for resource in (auth, tenants, beneficiaries, requests, referrals, home_visits, activities, corrections):
        app.include_router(resource.router)
    for module in (  # the API's other resources, then the pages
        reporting,
        regions,
        audit,
        privacy,
        imports,
        ownership,
        worklists,
        participation,  # ESF (issue 21)
        esf,
        esf_submissions,
        catalogue,  # issue 23: catalogue
        documents,  # issue 23: documents
        consent,  # issue 23: consent
        households,  # issue 23: households
        field,  # issue 25: field work
        pages,
        web_field,  # issue 25: the field app's shell, worker and manifest
        web_catalogue,  # issue 23: catalogue
        web_documents,  # issue 23: documents
        web_consent,  # issue 23: consent
        web_households,  # issue 23: households
        web_casework,
        web_entries,  # every entry's page and the steps on it
        web_ownership,
        web_worklists,
        web_participation,
        web_esf,
        web_esf_submissions,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=session.STATIC), name="static")
    app.add_middleware(
        BodyLimit,
        limit=kentra.settings.max_body_bytes,
        uploads=kentra.settings.max_import_bytes,
        documents=kentra.settings.document_max_bytes + MULTIPART_ALLOWANCE,  # the file checks its own limit
    )
    keep_documents_in_memory(kentra.settings.document_max_bytes + MULTIPART_ALLOWANCE)  # issue 23: never on disk
    metrics = Metrics(kentra)
    app.state.metrics = metrics
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Observe, metrics=metrics)  # outermost: it sees every response, 413s included
    ready = {"database": database_check(kentra)}

    @app.get("/health/live", include_in_schema=False)
    def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", include_in_schema=False)
    def is_ready() -> Response:
        ok, body = answer(ready)
        return Response(body, status_code=200 if ok else 503, media_type="application/json")

    # /metrics is not served here, on the public port: `kentra serve --metrics-port` serves it apart.

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return _with_own_policy(
            get_swagger_ui_html(openapi_url="/openapi.json", title="Kentra", oauth2_redirect_url=REDIRECT)
        )

    @app.get(REDIRECT, include_in_schema=False)
    def docs_redirect() -> HTMLResponse:
        return _with_own_policy(get_swagger_ui_oauth2_redirect_html())

    @app.exception_handler(CsrfError)
    async def csrf_refused(request: Request, _: CsrfError) -> Response:
        return session.message(request, 403, "csrf_refused")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            form = schema["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
            form["application/x-www-form-urlencoded"]["example"] = TOKEN_EXAMPLE
            upload = schema["paths"]["/api/v1/tenants/{tenant}/imports"]["post"]["requestBody"]["content"]
            upload["multipart/form-data"]["example"] = {"file": "(ωφελούμενοι.xlsx)", "dry_run": True}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
