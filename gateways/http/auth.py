"""Signing in and out over the API (OAuth2 password flow; the token's session ends on the server)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from gateways.clients import client_address
from gateways.http.deps import BearerToken, CurrentUser, KentraDep
from gateways.http.schemas import Token, problem_responses
from infra.tokens import InvalidTokenError

router = APIRouter(
    prefix="/api/v1/auth", tags=["auth"], responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 500, 503)
)


@router.post(
    "/token",
    summary="Sign in (OAuth2 password flow)",
    responses=problem_responses(429),
    description="Failed attempts are counted per account and per client; past the limit the answer is 429 "
    "with `Retry-After` (seconds), even for the right password, until the window moves on.",
)
def sign_in(kentra: KentraDep, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    client = client_address(request)
    kentra.sign_in_throttle.check(form.username, client)
    principal = kentra.accounts.authenticate(form.username, form.password)
    if principal is None:
        kentra.sign_in_throttle.failed(form.username, client)
        raise InvalidTokenError("wrong user name or password")
    return Token(access_token=kentra.sessions.open(principal), expires_in=kentra.tokens.ttl_seconds)


@router.post(
    "/logout",
    summary="Sign out: the token's session ends on the server",
    status_code=status.HTTP_204_NO_CONTENT,
)
def sign_out(kentra: KentraDep, _: CurrentUser, bearer: BearerToken) -> Response:
    if bearer:  # an external issuer's token has no Kentra session; its lifetime is capped instead
        kentra.sessions.close(bearer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)  # no body: nothing to answer but that it ended
