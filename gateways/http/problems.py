"""Every error as application/problem+json (RFC 9457), naming what was wrong and nothing more."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.documents import DocumentTooLargeError
from domain.errors import (
    CommandIdReusedError,
    ConcurrentChangeError,
    DomainError,
    DuplicateBeneficiaryError,
    EntryNotFoundError,
    InvalidTransitionError,
    InvalidValueError,
    UnknownTenantError,
)
from infra.bootstrap import TenantNotProvisionedError
from infra.errors import STORE_UNAVAILABLE
from infra.throttle import SignInThrottledError
from infra.tokens import InvalidTokenError
from services.access import AccessDeniedError
from services.importing import ImportTooLargeError

PROBLEM = "application/problem+json"
RETRY_AFTER_SECONDS = 2
log = logging.getLogger("kentra.http")


def problem(
    status: int, title: str, detail: str | None = None, *, retry_after: int | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if retry_after is not None:
        headers = {"Retry-After": str(retry_after)}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def internal_error() -> JSONResponse:
    return problem(500, "Internal error", "the error was logged; nothing was recorded by this request")


def status_of(error: DomainError) -> tuple[int, str]:
    if isinstance(error, AccessDeniedError):
        return 403, "Forbidden"
    if isinstance(error, (ImportTooLargeError, DocumentTooLargeError)):
        return 413, "Content too large"
    if isinstance(error, (EntryNotFoundError, UnknownTenantError)):
        return 404, "Not found"
    if isinstance(error, InvalidValueError):
        return 422, "Invalid input"
    if isinstance(
        error, (DuplicateBeneficiaryError, ConcurrentChangeError, CommandIdReusedError, InvalidTransitionError)
    ):
        return 409, "Conflict"
    return 400, "Refused"


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        status, title = status_of(error)
        # The holder's id only if the route left it in: it withholds it from callers not told who holds an ΑΜΚΑ.
        held = error.existing_id if isinstance(error, DuplicateBeneficiaryError) else None
        existing = str(held) if held is not None else None
        return problem(
            status, title, error.message, field=error.field, error=type(error).__name__, existing_id=existing
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in error.errors()]
        return problem(422, "Invalid input", f"{len(errors)} invalid field(s)", errors=errors)

    @app.exception_handler(InvalidTokenError)
    async def invalid_token(_: Request, __: InvalidTokenError) -> JSONResponse:
        return problem(401, "Unauthorized", "a valid bearer token is needed")

    @app.exception_handler(SignInThrottledError)
    async def throttled(_: Request, error: SignInThrottledError) -> JSONResponse:
        return problem(
            429, "Too many sign-in attempts", f"try again in {error.retry_after} s", retry_after=error.retry_after
        )

    @app.exception_handler(TenantNotProvisionedError)
    async def not_provisioned(_: Request, error: TenantNotProvisionedError) -> JSONResponse:
        return problem(503, "Tenant not ready", str(error))

    async def store_unavailable(request: Request, error: Exception) -> JSONResponse:
        # Never the driver's message: it may name hosts and roles. Only that it happened, and where.
        log.warning("store unavailable (%s) on %s %s", type(error).__name__, request.method, request.url.path)
        return problem(
            503,
            "Store unavailable",
            "the database could not be reached; send the same request again with the same Idempotency-Key "
            "(a command is never recorded twice)",
            retryable=True,
        )

    for kind in STORE_UNAVAILABLE:
        app.add_exception_handler(kind, store_unavailable)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail), None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Only the type and route: the message of an unexpected error may carry personal data.
        log.error("unexpected %s on %s %s", type(error).__name__, request.method, request.url.path)
        return internal_error()
